// SPDX-License-Identifier: GPL-2.0
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static Elf *open_elf(const char *path, int *fd)
{
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	e = elf_begin(*fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		return NULL;
	}
	return e;
}

int cp_elf_vaddr(const char *path, uint8_t kind, uint64_t offset, uint64_t *vaddr)
{
	uint64_t min_exec = UINT64_MAX;
	size_t n;
	int fd, ret = -ENOENT;
	Elf *e = open_elf(path, &fd);

	if (!e)
		return -errno ? -errno : -EINVAL;
	if (elf_getphdrnum(e, &n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (kind == CP_LOCK_EXE && (ph.p_flags & PF_X) && ph.p_vaddr < min_exec)
			min_exec = ph.p_vaddr;
		/* A library's data: the segment its file offset lies in (bss within its page). */
		if (kind == CP_LOCK_FILE && offset >= ph.p_offset &&
		    offset < ph.p_offset + ph.p_memsz) {
			*vaddr = ph.p_vaddr + (offset - ph.p_offset);
			ret = 0;
			goto out;
		}
	}
	/* The kernel's start_code is the lowest executable segment's address plus the bias. */
	if (kind == CP_LOCK_EXE && min_exec != UINT64_MAX) {
		*vaddr = min_exec + offset;
		ret = 0;
	}
out:
	elf_end(e);
	close(fd);
	return ret;
}

static int search(Elf *e, Elf64_Word type, uint64_t vaddr, char **name, uint64_t *sym_offset)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;
			int t;

			if (!gelf_getsym(data, i, &sym))
				break;
			t = GELF_ST_TYPE(sym.st_info);
			if ((t != STT_OBJECT && t != STT_NOTYPE && t != STT_COMMON) ||
			    sym.st_shndx == SHN_UNDEF || vaddr < sym.st_value ||
			    vaddr >= sym.st_value + (sym.st_size ? sym.st_size : 1))
				continue;
			s = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!s || !*s)
				continue;
			*name = strdup(s);
			if (!*name)
				return -ENOMEM;
			*sym_offset = vaddr - sym.st_value;
			return 0;
		}
	}
	return -ENOENT;
}

int cp_elf_symbol(const char *path, uint64_t vaddr, char **name, uint64_t *sym_offset)
{
	int fd, ret;
	Elf *e = open_elf(path, &fd);

	if (!e)
		return -errno ? -errno : -EINVAL;
	ret = search(e, SHT_SYMTAB, vaddr, name, sym_offset);
	if (ret == -ENOENT)
		ret = search(e, SHT_DYNSYM, vaddr, name, sym_offset);
	elf_end(e);
	close(fd);
	return ret;
}

/* A global lock that a program names as its GIL: "gil", "primes_gil", "my_GIL". */
static bool is_gil_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && strcasecmp(s + n - 3, "gil") == 0 && (n == 3 || s[n - 4] == '_');
}

void cp_symbolize_lock(struct cp_lock *l, uint64_t offset)
{
	uint64_t vaddr;

	if (!l->path || (l->kind != CP_LOCK_EXE && l->kind != CP_LOCK_FILE))
		return;
	if (cp_elf_vaddr(l->path, l->kind, offset, &vaddr) ||
	    cp_elf_symbol(l->path, vaddr, &l->symbol, &l->symbol_offset))
		return;
	/* CPython keeps its GIL (3.11: _PyRuntime.ceval.gil; 3.12+: in the main interpreter,
	 * itself inside _PyRuntime) in this one global: a lock inside it is the GIL.
	 */
	l->gil = strcmp(l->symbol, "_PyRuntime") == 0 || is_gil_name(l->symbol);
}
