/* Remote files over exec channels (libssh's SFTP calls block; these do
 * not): read with cat, write to a temp file beside the target, check the
 * length, then rename, so a dropped connection leaves the old file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_private.h"

char *shell_quote(const char *s)
{
	struct buf b = { 0 };
	buf_puts(&b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(&b, "'\\''");
		else
			buf_append(&b, s, 1);
	}
	buf_puts(&b, "'");
	return b.data;
}

struct file_op {
	struct buf out, err;
	size_t max;
	bool too_big;
	char *path;
	ssh_file_fn done;
	void *arg;
	bool writing;
};

static void op_stdout(void *arg, const char *data, size_t len)
{
	struct file_op *op = arg;
	if (op->too_big)
		return;
	if (op->max && op->out.len + len > op->max) {
		op->too_big = true;
		buf_free(&op->out);
		return;
	}
	buf_append(&op->out, data, len);
}

static void op_stderr(void *arg, const char *data, size_t len)
{
	struct file_op *op = arg;
	if (op->err.len < 512)
		buf_append(&op->err, data, len);
}

static void op_exit(void *arg, int status, const char *error)
{
	struct file_op *op = arg;
	char msg[512];
	const char *fail = NULL;
	if (error) {
		snprintf(msg, sizeof msg, "%s %s: %s", op->writing ? "writing" : "reading", op->path,
			 error);
		fail = msg;
	} else if (op->too_big) {
		snprintf(msg, sizeof msg, "reading %s: larger than %zu bytes", op->path, op->max);
		fail = msg;
	} else if (status != 0) {
		char *e = buf_first_line(&op->err);
		snprintf(msg, sizeof msg, "%s %s failed (exit %d)%s%s",
			 op->writing ? "writing" : "reading", op->path, status, *e ? ": " : "", e);
		fail = msg;
	}
	if (fail)
		op->done(op->arg, NULL, 0, fail);
	else
		op->done(op->arg, op->writing ? NULL : (op->out.data ? op->out.data : ""),
			 op->out.len, NULL);
	buf_free(&op->out);
	buf_free(&op->err);
	free(op->path);
	free(op);
}

static const struct ssh_exec_cbs op_cbs = { op_stdout, op_stderr, op_exit };

int ssh_pool_read_file(struct ssh_pool *p, struct host *h, const char *path, size_t max_bytes,
		       ssh_file_fn done, void *arg, struct error *err)
{
	struct file_op *op = xcalloc(1, sizeof *op);
	op->max = max_bytes;
	op->path = xstrdup(path);
	op->done = done;
	op->arg = arg;
	char *q = shell_quote(path);
	char *cmd = xasprintf("cat -- %s", q);
	struct ssh_exec *e = ssh_pool_exec(p, h, cmd, NULL, 0, &op_cbs, op, err);
	free(q);
	free(cmd);
	if (!e) {
		free(op->path);
		free(op);
		return -1;
	}
	return 0;
}

int ssh_pool_write_file(struct ssh_pool *p, struct host *h, const char *path, const void *data,
			size_t len, int mode, ssh_file_fn done, void *arg, struct error *err)
{
	struct file_op *op = xcalloc(1, sizeof *op);
	op->path = xstrdup(path);
	op->done = done;
	op->arg = arg;
	op->writing = true;
	char *q = shell_quote(path);
	/* umask first so the temp file is never more open than the target;
	 * the length check catches a stream cut short by a dropped link. */
	char *cmd = xasprintf("umask 077; t=%s.fleetop-tmp.$$; "
			      "cat > \"$t\" && [ \"$(wc -c < \"$t\")\" -eq %zu ] && "
			      "chmod %o \"$t\" && mv -f \"$t\" %s || { rm -f \"$t\"; exit 1; }",
			      q, len, (unsigned)mode & 07777, q);
	struct ssh_exec *e = ssh_pool_exec(p, h, cmd, data, len, &op_cbs, op, err);
	free(q);
	free(cmd);
	if (!e) {
		free(op->path);
		free(op);
		return -1;
	}
	return 0;
}
