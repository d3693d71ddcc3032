/* HTTP and SMTP sends through libcurl's multi interface on the loop: curl
 * says which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when its timer
 * runs out (CURLMOPT_TIMERFUNCTION); the loop says what became ready
 * (curl_multi_socket_action). No call here blocks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sender_private.h"

static void check_done(struct notify_sender *s);

static void on_fd(struct loop *loop, int fd, int events, void *arg)
{
	struct notify_sender *s = arg;
	int flags = (events & LOOP_READ ? CURL_CSELECT_IN : 0) |
		    (events & LOOP_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(s->multi, fd, flags, &running);
	check_done(s);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct notify_sender *s = userp;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(s->loop, fd);
		return 0;
	}
	int events = (what & CURL_POLL_IN ? LOOP_READ : 0) | (what & CURL_POLL_OUT ? LOOP_WRITE : 0);
	if (loop_fd_add(s->loop, fd, events, on_fd, s) < 0) {
		/* A number reused after a close the loop did not see: start over. */
		loop_fd_del(s->loop, fd);
		if (loop_fd_add(s->loop, fd, events, on_fd, s) < 0)
			return -1;
	}
	return 0;
}

static void on_timer(struct loop *loop, void *arg)
{
	struct notify_sender *s = arg;
	int running;
	s->curl_timer = 0;
	curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(s);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct notify_sender *s = userp;
	loop_timer_del(s->loop, s->curl_timer);
	s->curl_timer = 0;
	/* 0 too goes through the loop: curl must not be re-entered from here. */
	if (timeout_ms >= 0)
		s->curl_timer = loop_timer_add(s->loop, timeout_ms, on_timer, s);
	return 0;
}

int notify_http_init(struct notify_sender *s)
{
	static bool curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -1;
		curl_ready = true;
	}
	s->multi = curl_multi_init();
	if (!s->multi)
		return -1;
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	return 0;
}

void notify_http_cleanup(struct notify_sender *s)
{
	/* Closing the cached connections still calls socket_cb: the loop
	 * must outlive this. */
	if (s->multi)
		curl_multi_cleanup(s->multi);
	s->multi = NULL;
	loop_timer_del(s->loop, s->curl_timer);
	s->curl_timer = 0;
}

static size_t on_reply(char *data, size_t size, size_t n, void *arg)
{
	notify_xfer_keep(arg, data, size * n);
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after a 100 Continue): forget the last one's. */
		free(x->retry_after);
		x->retry_after = NULL;
	} else if (len > 12 && len < 200 && !strncasecmp(data, "Retry-After:", 12)) {
		free(x->retry_after);
		x->retry_after = xstrndup(data + 12, len - 12);
	}
	return len;
}

static size_t on_upload(char *out, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t room = size * n, left = x->req.body_len - x->upload_off;
	size_t k = left < room ? left : room;
	memcpy(out, x->req.body + x->upload_off, k);
	x->upload_off += k;
	return k;
}

/* A transfer that did not get (or, for SMTP, did not end with) a good
 * reply: curl's message, redacted. */
static char *curl_why(struct xfer *x, CURLcode code)
{
	const char *e = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
	return notify_xfer_text(x, e, strlen(e));
}

static void finished(struct xfer *x, CURLcode code)
{
	const char *what = x->req.what;
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (x->req.kind == REQ_SMTP) {
		enum notify_verdict v = notify_smtp_verdict(code, status);
		if (v == NOTIFY_SENT) {
			notify_xfer_done(x, v, -1, NULL);
			return;
		}
		char *why = curl_why(x, code);
		char *msg = status ? xasprintf("%s: %s (server said %ld)", what, why, status)
				   : xasprintf("%s: %s", what, why);
		free(why);
		notify_xfer_done(x, v, -1, msg);
		free(msg);
		return;
	}
	if (code != CURLE_OK) {
		char *why = curl_why(x, code);
		char *msg = xasprintf("%s: %s", what, why);
		free(why);
		notify_xfer_done(x, notify_curl_verdict(code), -1, msg);
		free(msg);
		return;
	}
	enum notify_verdict v = notify_http_verdict(status);
	if (v == NOTIFY_SENT) {
		notify_xfer_done(x, v, -1, NULL);
		return;
	}
	int64_t wait = -1;
	if (v == NOTIFY_RETRY)
		wait = notify_retry_after_ms(status, x->retry_after, x->reply.data, x->reply.len,
					     time_wall_ms());
	char *body = notify_xfer_text(x, x->reply.data ? x->reply.data : "", x->reply.len);
	char *msg = *body ? xasprintf("HTTP %ld from %s: %s", status, what, body)
			  : xasprintf("HTTP %ld from %s", status, what);
	free(body);
	notify_xfer_done(x, v, wait, msg);
	free(msg);
}

static void check_done(struct notify_sender *s)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		CURLcode code = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			finished(x, code); /* removes the handle: allowed while reading */
	}
}

int notify_http_start(struct xfer *x, struct error *err)
{
	struct notify_request *q = &x->req;
	CURL *e = curl_easy_init();
	if (!e)
		return error_set(err, "%s: cannot start a transfer", q->what);
	x->easy = e;
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)q->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(q->timeout_ms < 10000 ? q->timeout_ms : 10000));
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (q->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, q->ca_file);
	if (q->userpwd)
		curl_easy_setopt(e, CURLOPT_USERPWD, q->userpwd);
	if (q->kind == REQ_HTTP) {
		bool expect = false;
		for (size_t i = 0; i < q->nheaders; i++) {
			x->headers = curl_slist_append(x->headers, q->headers[i]);
			expect |= !strncasecmp(q->headers[i], "Expect:", 7);
		}
		/* No 100-continue round trip (a second's wait on servers that
		 * ignore it): our bodies are small. */
		if (!expect)
			x->headers = curl_slist_append(x->headers, "Expect:");
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(q->body ? q->body_len : 0));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	} else {
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, q->mail_from ? q->mail_from : "");
		for (size_t i = 0; i < q->nrcpt; i++)
			x->rcpt = curl_slist_append(x->rcpt, q->rcpt[i]);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
		curl_easy_setopt(e, CURLOPT_USE_SSL,
				 q->starttls >= 2 ? (long)CURLUSESSL_ALL
				 : q->starttls == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	}
	if (curl_multi_add_handle(x->s->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		x->easy = NULL;
		return error_set(err, "%s: cannot start a transfer", q->what);
	}
	return 0;
}

void notify_http_stop(struct xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(x->s->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->rcpt);
	x->headers = x->rcpt = NULL;
	free(x->retry_after);
	x->retry_after = NULL;
}
