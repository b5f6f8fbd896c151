// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: TCP over loopback. `net [ROUNDS] [DELAY_MS] [REQUEST] [REPLY]` (defaults 5, 100,
 * 100, 3000): a server thread accepts one connection; ROUNDS times the client thread sends
 * REQUEST bytes, the server reads them, sleeps DELAY_MS and answers REPLY bytes. The client
 * waits in recv: blocked "net", about ROUNDS x DELAY_MS; the server mostly sleeps. Both report
 * the bytes their send/recv calls returned, which concprof's net_tx/net_rx must equal.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include "gt.h"

static long rounds, delay_ms, request_len, reply_len;
static int listen_fd;
static struct sockaddr_in server_addr;

static void send_all(int fd, const char *buf, long len, uint64_t *sent)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			gt_die("send");
		*sent += n;
		buf += n;
		len -= n;
	}
}

static void recv_all(int fd, char *buf, long len, uint64_t *received)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			gt_die("recv");
		*received += n;
		buf += n;
		len -= n;
	}
}

static void *server(void *arg)
{
	uint64_t sent = 0, received = 0;
	char *buf = calloc(1, request_len + reply_len + 1);
	int fd;

	(void)arg;
	gt_thread_start();
	if (!buf)
		gt_die("calloc");
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		gt_die("accept");
	for (long i = 0; i < rounds; i++) {
		recv_all(fd, buf, request_len, &received);
		gt_sleep_ns((uint64_t)delay_ms * 1000000ull);
		send_all(fd, buf, reply_len, &sent);
	}
	close(fd);
	free(buf);
	gt_report("server", ",\"net_tx\":%llu,\"net_rx\":%llu", (unsigned long long)sent,
		  (unsigned long long)received);
	return NULL;
}

static void *client(void *arg)
{
	uint64_t sent = 0, received = 0;
	char *buf = calloc(1, request_len + reply_len + 1);
	int fd, one = 1;

	(void)arg;
	gt_thread_start();
	if (!buf)
		gt_die("calloc");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		gt_die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&server_addr, sizeof(server_addr)))
		gt_die("connect");
	for (long i = 0; i < rounds; i++) {
		send_all(fd, buf, request_len, &sent);
		recv_all(fd, buf, reply_len, &received);
	}
	close(fd);
	free(buf);
	gt_report("client", ",\"net_tx\":%llu,\"net_rx\":%llu,\"waited_ms\":%ld",
		  (unsigned long long)sent, (unsigned long long)received, rounds * delay_ms);
	return NULL;
}

int main(int argc, char **argv)
{
	socklen_t len = sizeof(server_addr);
	pthread_t server_thread, client_thread;
	int one = 1;

	gt_thread_start();
	rounds = gt_arg(argc, argv, 1, 5);
	delay_ms = gt_arg(argc, argv, 2, 100);
	request_len = gt_arg(argc, argv, 3, 100);
	reply_len = gt_arg(argc, argv, 4, 3000);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		gt_die("socket");
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	server_addr.sin_family = AF_INET;
	server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server_addr.sin_port = 0;
	if (bind(listen_fd, (struct sockaddr *)&server_addr, sizeof(server_addr)) ||
	    listen(listen_fd, 1) ||
	    getsockname(listen_fd, (struct sockaddr *)&server_addr, &len))
		gt_die("bind/listen on 127.0.0.1");
	errno = pthread_create(&server_thread, NULL, server, NULL);
	if (errno)
		gt_die("pthread_create");
	errno = pthread_create(&client_thread, NULL, client, NULL);
	if (errno)
		gt_die("pthread_create");
	pthread_join(client_thread, NULL);
	pthread_join(server_thread, NULL);
	close(listen_fd);
	gt_report("main", ",\"rounds\":%ld", rounds);
	return 0;
}
