#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof's command-line behaviour: exit codes, output streams, options, signals, privileges.

Runs ./concprof on small commands (sh, true, echo, id, sleep) and checks: the workload's exit
status is concprof's (3, 137 for SIGKILL, 127 not found, 126 not executable); stdout belongs to
the workload alone; -o, --json, -V, --help, a bad option (2); Ctrl-C (SIGINT to concprof, and to
the whole process group) is forwarded, the report still printed, exit 130; without privileges
concprof refuses in one sentence naming root or CAP_BPF; under sudo (for real, from an
unprivileged user) and with SUDO_UID/SUDO_GID set by hand the workload runs as the user and the
JSON belongs to them; concprof does not write through a symlink planted at an output path."""
import grp
import stat

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

tap = TAP()
require_concprof(tap)
work = tempfile.mkdtemp(prefix="concprof-it-cli-")
os.chmod(work, 0o755)
failed_before = tap.failed


def cp(args, timeout=60, **kw):
    """Runs ./concprof ARGS; returns (rc, stdout bytes, stderr str)."""
    try:
        p = subprocess.run([CONCPROF] + args, capture_output=True, timeout=timeout, **kw)
        return p.returncode, p.stdout, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or b"", (e.stderr or b"").decode(errors="replace")


def tail(text, n=8):
    lines = text.decode(errors="replace") if isinstance(text, bytes) else text
    return [f"stderr: {line}" for line in lines.strip().splitlines()[-n:]]


def mentions_report(text):
    return re.search(r"wall", text, re.I) is not None


# --- exit status ------------------------------------------------------------------------------
rc, out, err = cp(["-q", "--", "sh", "-c", "exit 3"])
tap.ok(rc == 3, "exit status of the workload is kept (sh -c 'exit 3' -> 3)",
       [f"expected 3, got {rc}", *tail(err)])

rc, out, err = cp(["-q", "--", "sh", "-c", "kill -KILL $$"])
tap.ok(rc == 137, "workload killed by SIGKILL -> 137", [f"expected 137, got {rc}", *tail(err)])

missing = "/nonexistent/concprof-no-such-command"
rc, out, err = cp(["-q", "--", missing])
tap.ok(rc == 127 and "concprof-no-such-command" in err,
       "nonexistent command (path) -> 127 and a message naming it",
       [f"expected 127, got {rc}", *tail(err)])

rc, out, err = cp(["-q", "--", "concprof-no-such-command-xyz"])
tap.ok(rc == 127 and "concprof-no-such-command-xyz" in err,
       "command not found in PATH -> 127 and a message naming it",
       [f"expected 127, got {rc}", *tail(err)])

noexec = os.path.join(work, "not-executable.sh")
with open(noexec, "w") as f:
    f.write("#!/bin/sh\necho should-not-run\n")
os.chmod(noexec, 0o644)
rc, out, err = cp(["-q", "--", noexec])
tap.ok(rc == 126 and b"should-not-run" not in out and "not-executable" in err,
       "non-executable file -> 126 and a message naming it",
       [f"expected 126, got {rc}; stdout {out!r}", *tail(err)])

# --- streams ----------------------------------------------------------------------------------
rc, out, err = cp(["--", "echo", "hi"])
tap.ok(rc == 0 and out == b"hi\n",
       "stdout belongs to the workload: `concprof -- echo hi` prints exactly hi",
       [f"rc {rc}, stdout {out!r}"])
tap.ok(mentions_report(err), "without -q the text report goes to stderr (mentions 'wall')",
       tail(err, 20))

rc, out, err = cp(["-q", "--", "true"])
tap.ok(rc == 0 and out == b"" and not mentions_report(err),
       "-q: no report, nothing on stdout",
       [f"rc {rc}, stdout {out!r}", *tail(err)])

try:
    p = subprocess.run([CONCPROF, "-q", "--", "cat"], input=b"abc\n", capture_output=True,
                       timeout=60)
    rc, out = p.returncode, p.stdout
except subprocess.TimeoutExpired:
    rc, out = "timeout", b""
tap.ok(rc == 0 and out == b"abc\n", "the workload reads concprof's stdin",
       [f"rc {rc}, stdout {out!r}"])

# Like time(1) or nohup(1), concprof passes on the signal dispositions it inherited (an
# ignored SIGHUP stays ignored) and adds none of its own: the workload must see exactly what
# the same command started directly sees, and nothing blocked.
direct = subprocess.run(["cat", "/proc/self/status"], capture_output=True).stdout.decode()
want_ign = re.search(r"^SigIgn:\s*([0-9a-f]+)", direct, re.M).group(1)
rc, out, err = cp(["-q", "--", "cat", "/proc/self/status"])
text = out.decode(errors="replace")
ign = re.search(r"^SigIgn:\s*([0-9a-f]+)", text, re.M)
blk = re.search(r"^SigBlk:\s*([0-9a-f]+)", text, re.M)
tap.ok(rc == 0 and ign and blk and int(ign.group(1), 16) == int(want_ign, 16)
       and int(blk.group(1), 16) == 0,
       "the workload inherits the ignored signals concprof did, blocks none, and adds none",
       [f"rc {rc}, SigIgn {ign.group(1) if ign else None} (started directly: {want_ign}), "
        f"SigBlk {blk.group(1) if blk else None}"])

report = os.path.join(work, "report.txt")
rc, out, err = cp(["-o", report, "--", "true"])
content = open(report, errors="replace").read() if os.path.exists(report) else None
tap.ok(rc == 0 and content and mentions_report(content),
       "-o FILE writes the text report to FILE",
       [f"rc {rc}, FILE {'missing' if content is None else f'{len(content)} bytes'}",
        *tail(err)])
tap.ok(rc == 0 and not mentions_report(err) and out == b"",
       "-o FILE: the report is not also on stderr or stdout", tail(err, 20))

jpath = os.path.join(work, "out.json")
rc, out, err = cp(["--json", jpath, "-q", "--", "sh", "-c", "exit 5"])
try:
    j = json.load(open(jpath))
    jdesc = str({k: j.get(k) for k in ("format", "command", "exit_code")})
except (OSError, ValueError) as e:
    j, jdesc = None, repr(e)
tap.ok(rc == 5 and out == b"" and j is not None and j.get("format") == "concprof/1"
       and j.get("command") == ["sh", "-c", "exit 5"] and j.get("exit_code") == 5,
       "--json FILE: valid concprof/1 JSON with the command and its exit code",
       [f"rc {rc}, stdout {out!r}", f"json: {jdesc}", *tail(err)])

# --- options ----------------------------------------------------------------------------------
version = open(os.path.join(ROOT, "VERSION")).read().strip()
rc, out, err = cp(["-V"])
tap.ok(rc == 0 and version in out.decode(errors="replace") + err,
       f"-V prints the version ({version}) and exits 0", [f"rc {rc}, stdout {out!r}", *tail(err)])

rc, out, err = cp(["--help"])
both = out.decode(errors="replace") + err
tap.ok(rc == 0 and re.search(r"example", both, re.I) is not None,
       "--help mentions examples and exits 0", [f"rc {rc}", *tail(both, 5)])

rc, out, err = cp(["--no-such-option-xyz", "--", "true"])
tap.ok(rc == 2 and err.strip() != "", "bad option -> exit 2 with a message",
       [f"expected 2, got {rc}", *tail(err)])

# make bench's floors: the workload runs and keeps its exit status; a bad value is a usage error
for floor in ("--floor", "--floor=clock"):
    rc, out, err = cp(["-q", floor, "--", "sh", "-c", "echo floor; exit 4"])
    tap.ok(rc == 4 and out == b"floor\n", f"{floor}: the workload runs, exit status kept",
           [f"rc {rc}, stdout {out!r}", *tail(err)])
rc, out, err = cp(["--floor=sometimes", "--", "true"])
tap.ok(rc == 2 and "--floor" in err, "--floor=sometimes -> exit 2 naming the option",
       [f"expected 2, got {rc}", *tail(err)])

# --- Ctrl-C -----------------------------------------------------------------------------------
for target in ("concprof", "group"):
    jpath = os.path.join(work, f"sigint-{target}.json")
    t0 = time.monotonic()
    p = subprocess.Popen([CONCPROF, "--json", jpath, "--", "sleep", "30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.0)
    if target == "concprof":
        os.kill(p.pid, signal.SIGINT)
    else:
        os.killpg(p.pid, signal.SIGINT)
    try:
        out, errb = p.communicate(timeout=20)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        kill_tree(p)
        out, errb = p.communicate()
        rc = "timeout"
    took = time.monotonic() - t0
    err = errb.decode(errors="replace")
    try:
        j = json.load(open(jpath))
    except (OSError, ValueError):
        j = None
    desc = ("SIGINT to concprof is forwarded to the workload" if target == "concprof"
            else "Ctrl-C (SIGINT to the whole process group)")
    tap.ok(rc == 130 and took < 10 and mentions_report(err),
           f"{desc}: exit 130, report still printed",
           [f"rc {rc} (expected 130), took {took:.1f} s (sleep 30 must end early)",
            *tail(err, 12)])
    tap.ok(j is not None and j.get("exit_code") == 130 and j.get("signal") == 2,
           f"{desc}: JSON says exit_code 130, signal 2",
           ["no JSON" if j is None else f"exit_code {j.get('exit_code')}, signal "
            f"{j.get('signal')}"])

# --- privileges -------------------------------------------------------------------------------
uid, gid = ensure_test_user()
userdir = tempfile.mkdtemp(prefix="concprof-it-user-")
os.chown(userdir, uid, gid)
os.chmod(userdir, 0o755)
marker = os.path.join(userdir, "workload-ran")
rc, out, err = (None, b"", "")
try:
    p = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                        CONCPROF, "-q", "--", "touch", marker], capture_output=True, timeout=60)
    rc, out, err = p.returncode, p.stdout, p.stderr.decode(errors="replace")
except subprocess.TimeoutExpired:
    rc = "timeout"
lines = [line for line in err.splitlines() if line.strip()]
tap.ok(rc not in (0, "timeout") and re.search(r"root|CAP_BPF", err) is not None
       and 1 <= len(lines) <= 3 and not os.path.exists(marker),
       "unprivileged: refuses, in one short message naming root or CAP_BPF, before running "
       "the workload",
       [f"rc {rc}, {len(lines)} stderr lines, workload ran: {os.path.exists(marker)}",
        *tail(err)])

# SUDO_UID / SUDO_GID by hand.
jpath = os.path.join(userdir, "sudo-env.json")
env = dict(os.environ, SUDO_UID=str(uid), SUDO_GID=str(gid))
rc, out, err = cp(["--json", jpath, "-q", "--", "id"], env=env)
u, g, groups = parse_id(out.decode(errors="replace"))
st = os.stat(jpath) if os.path.exists(jpath) else None
tap.ok(rc == 0 and (u, g) == (uid, gid) and 0 not in (groups or [0]),
       "SUDO_UID/SUDO_GID set by hand: the workload runs as that user, without root's groups",
       [f"rc {rc}, expected uid {uid} gid {gid}, `id` printed {out!r}", *tail(err)])
tap.ok(st is not None and (st.st_uid, st.st_gid) == (uid, gid),
       "SUDO_UID/SUDO_GID set by hand: the JSON file belongs to that user",
       ["no JSON file" if st is None else f"owner {st.st_uid}:{st.st_gid}, expected "
        f"{uid}:{gid}"])

# sudo for real, from the unprivileged user.
sudoers = "/etc/sudoers.d/concprof-test"
have_sudo = shutil.which("sudo") is not None
if not have_sudo:
    subprocess.run(["apt-get", "install", "-y", "sudo"], capture_output=True, timeout=300)
    have_sudo = shutil.which("sudo") is not None
if not have_sudo:
    tap.skip("sudo: the workload runs as the user who typed sudo", "sudo not installable")
    tap.skip("sudo: the JSON file belongs to the user", "sudo not installable")
else:
    jpath = os.path.join(userdir, "sudo.json")
    try:
        with open(sudoers, "w") as f:
            f.write(f"{TEST_USER} ALL=(root) NOPASSWD: ALL\n")
        os.chmod(sudoers, 0o440)
        p = subprocess.run(["runuser", "-u", TEST_USER, "--", "sudo", "-n", CONCPROF,
                            "--json", jpath, "-q", "--", "id"],
                           capture_output=True, timeout=120, cwd=ROOT)
        rc, out, err = p.returncode, p.stdout, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        rc, out, err = "timeout", b"", ""
    finally:
        os.unlink(sudoers)
    u, g, groups = parse_id(out.decode(errors="replace"))
    st = os.stat(jpath) if os.path.exists(jpath) else None
    tap.ok(rc == 0 and (u, g) == (uid, gid) and 0 not in (groups or [0]),
           f"sudo from user {TEST_USER}: the workload runs as that user (uid {uid}), "
           "without root's groups",
           [f"rc {rc}, `id` printed {out!r}", *tail(err)])
    tap.ok(st is not None and (st.st_uid, st.st_gid) == (uid, gid),
           "sudo: the JSON file belongs to the user who typed sudo",
           ["no JSON file" if st is None else f"owner {st.st_uid}:{st.st_gid}, expected "
            f"{uid}:{gid}"])

# --- symlinks planted at the output paths ------------------------------------------------------
victim = os.path.join(work, "passwd-copy")
shutil.copyfile("/etc/passwd", victim)
before = open(victim, "rb").read()
before_stat = os.stat(victim)
for opt in ("--json", "-o"):
    link = os.path.join(work, f"planted-{opt.strip('-')}")
    os.symlink(victim, link)
    rc, out, err = cp([opt, link, "-q", "--", "true"])
    after = open(victim, "rb").read()
    untouched = after == before and os.stat(victim).st_mtime_ns == before_stat.st_mtime_ns
    tap.ok(rc not in (0, "timeout") and err.strip() != "" and untouched,
           f"{opt} FILE where FILE is a planted symlink: error, the target untouched",
           [f"rc {rc}, target untouched: {untouched}", *tail(err)])

if tap.failed == failed_before:
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(userdir, ignore_errors=True)
else:
    tap.diag(f"files kept in {work} and {userdir}")
tap.done()
