/* The built-in shell of a simulated host: enough of dash for bulk runs and
 * config pushes to have something real to talk to. Words with quotes,
 * `;` `&&` `||` `|` (stages run one after the other), redirections to
 * files (kept in memory per host) and /dev/null, and a small command set.
 * Anything else is "not found", exit 127, as dash says it. Nothing here
 * blocks: sleep and reading stdin hand control back to the channel. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proc.h"
#include "game.h"
#include "sim_private.h"

#define CAT_OUT_CAP (1u << 20)

enum tok_kind { T_WORD, T_SEMI, T_AND, T_OR, T_PIPE, T_REDIR };
enum redir_kind { R_OUT, R_APPEND, R_IN, R_DUP };

struct tok {
	enum tok_kind kind;
	char *word;
	int fd;               /* redirection: which fd */
	enum redir_kind redir;
	int dup_to;           /* R_DUP: N>&M */
};

struct toks {
	struct tok *v;
	int n, cap;
};

static void toks_push(struct toks *t, struct tok tk)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
	}
	t->v[t->n++] = tk;
}

static void toks_free(struct toks *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->v[i].word);
	free(t->v);
}

static bool is_op_char(char c)
{
	return c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '\n' || c == '(' ||
	       c == ')';
}

/* Splits line into tokens; -1 with *msg on a syntax error. */
static int lex(const char *s, struct toks *t, const char **msg)
{
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (*p == '\n' || *p == ';') {
			toks_push(t, (struct tok){ .kind = T_SEMI });
			p++;
			continue;
		}
		if (*p == '&') {
			/* A lone & would background; here it just separates. */
			bool two = p[1] == '&';
			toks_push(t, (struct tok){ .kind = two ? T_AND : T_SEMI });
			p += two ? 2 : 1;
			continue;
		}
		if (*p == '|') {
			bool two = p[1] == '|';
			toks_push(t, (struct tok){ .kind = two ? T_OR : T_PIPE });
			p += two ? 2 : 1;
			continue;
		}
		if (*p == '(' || *p == ')') {
			*msg = *p == '(' ? "\"(\" unexpected" : "\")\" unexpected";
			return -1;
		}
		int fd = -1;
		if (isdigit((unsigned char)p[0]) && (p[1] == '>' || p[1] == '<')) {
			fd = p[0] - '0';
			p++;
		}
		if (*p == '>' || *p == '<') {
			struct tok tk = { .kind = T_REDIR };
			if (*p == '<') {
				tk.fd = fd < 0 ? 0 : fd;
				tk.redir = R_IN;
				p++;
			} else {
				tk.fd = fd < 0 ? 1 : fd;
				p++;
				if (*p == '>') {
					tk.redir = R_APPEND;
					p++;
				} else if (*p == '&' && isdigit((unsigned char)p[1])) {
					tk.redir = R_DUP;
					tk.dup_to = p[1] - '0';
					p += 2;
				} else {
					tk.redir = R_OUT;
				}
			}
			toks_push(t, tk);
			continue;
		}
		struct buf w = { 0 };
		buf_append(&w, "", 0);
		while (*p && *p != ' ' && *p != '\t' && !is_op_char(*p)) {
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');
				if (!end) {
					buf_free(&w);
					*msg = "Unterminated quoted string";
					return -1;
				}
				buf_append(&w, p + 1, (size_t)(end - p - 1));
				p = end + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1]))
						p++;
					buf_append(&w, p, 1);
					p++;
				}
				if (*p != '"') {
					buf_free(&w);
					*msg = "Unterminated quoted string";
					return -1;
				}
				p++;
			} else if (*p == '\\') {
				p++;
				if (*p == '\n') {
					p++;
				} else if (*p) {
					buf_append(&w, p, 1);
					p++;
				}
			} else {
				buf_append(&w, p, 1);
				p++;
			}
		}
		toks_push(t, (struct tok){ .kind = T_WORD, .word = w.data });
	}
}

int shell_words(const char *line, char ***argv)
{
	struct toks t = { 0 };
	const char *msg = NULL;
	int argc = 0;
	if (lex(line, &t, &msg) < 0) {
		toks_free(&t);
		*argv = NULL;
		return -1;
	}
	*argv = xcalloc((size_t)t.n + 1, sizeof **argv);
	for (int i = 0; i < t.n && t.v[i].kind == T_WORD; i++) {
		(*argv)[argc++] = t.v[i].word;
		t.v[i].word = NULL;
	}
	toks_free(&t);
	return argc;
}

void words_free(char **argv, int argc)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Where a command's output goes. */
enum sink_kind { SINK_OUT, SINK_ERR, SINK_NULL, SINK_PIPE, SINK_FILE };
struct sink {
	enum sink_kind kind;
	const char *path; /* SINK_FILE: the shell's out_path or err_path */
};

enum join { J_SEQ, J_AND, J_OR, J_PIPE };

struct redir {
	int fd;
	enum redir_kind kind;
	int dup_to;
	char *path;
};

struct cmd {
	enum join join; /* how it hangs on the previous command */
	int argc;
	char **argv;
	int nredirs;
	struct redir *redirs;
};

struct sim_shell {
	struct sim_host *host;
	char *user;
	struct cmd *cmds;
	int ncmds;
	int pc;
	int status;
	bool skipping, exited;
	enum sh_wait waiting;
	const char *syntax_error;
	char syntax_msg[48]; /* for a syntax_error that names an operator */
	/* The running command's plumbing, kept while it waits. */
	struct sink out, err;
	char *out_path, *err_path; /* owned by the sinks above */
	bool no_space;             /* a write to a file did not fit */
	struct buf pipe_in, pipe_out, file_in;
	int in_src; /* 0: channel, 1: pipe_in, 2: file_in */
};

static const char *const join_names[] = { ";", "&&", "||", "|" };

static int parse(struct sim_shell *sh, const char *line)
{
	struct toks t = { 0 };
	const char *msg = NULL;
	if (lex(line, &t, &msg) < 0) {
		sh->syntax_error = msg;
		toks_free(&t);
		return -1;
	}
	enum join join = J_SEQ;
	struct cmd *cur = NULL;
	for (int i = 0; i < t.n; i++) {
		struct tok *tk = &t.v[i];
		if (tk->kind == T_WORD || tk->kind == T_REDIR) {
			if (!cur) {
				sh->cmds = xrealloc(sh->cmds, (size_t)(sh->ncmds + 1) * sizeof *sh->cmds);
				cur = &sh->cmds[sh->ncmds++];
				memset(cur, 0, sizeof *cur);
				cur->join = join;
				cur->argv = xcalloc((size_t)t.n + 1, sizeof *cur->argv);
			}
			if (tk->kind == T_WORD) {
				cur->argv[cur->argc++] = tk->word;
				tk->word = NULL;
				continue;
			}
			struct redir r = { .fd = tk->fd, .kind = tk->redir, .dup_to = tk->dup_to };
			if (r.kind != R_DUP) {
				if (i + 1 >= t.n || t.v[i + 1].kind != T_WORD) {
					msg = i + 1 >= t.n ? "newline unexpected" : "redirection unexpected";
					goto fail;
				}
				r.path = t.v[++i].word;
				t.v[i].word = NULL;
			}
			cur->redirs = xrealloc(cur->redirs, (size_t)(cur->nredirs + 1) * sizeof *cur->redirs);
			cur->redirs[cur->nredirs++] = r;
			continue;
		}
		enum join next = tk->kind == T_AND ? J_AND : tk->kind == T_OR ? J_OR :
				 tk->kind == T_PIPE ? J_PIPE : J_SEQ;
		if (!cur) {
			snprintf(sh->syntax_msg, sizeof sh->syntax_msg, "\"%s\" unexpected",
				 join_names[next]);
			msg = sh->syntax_msg;
			goto fail;
		}
		cur = NULL;
		join = next;
	}
	if (!cur && join != J_SEQ) {
		msg = "end of file unexpected";
		goto fail;
	}
	toks_free(&t);
	return 0;
fail:
	sh->syntax_error = msg;
	toks_free(&t);
	return -1;
}

struct sim_shell *shell_new(struct sim_host *h, const char *user, const char *command)
{
	struct sim_shell *sh = xcalloc(1, sizeof *sh);
	sh->host = h;
	sh->user = xstrdup(user && *user ? user : "root");
	sh->out.kind = SINK_OUT;
	sh->err.kind = SINK_ERR;
	parse(sh, command);
	return sh;
}

static void cmd_free(struct cmd *c)
{
	words_free(c->argv, c->argc);
	for (int i = 0; i < c->nredirs; i++)
		free(c->redirs[i].path);
	free(c->redirs);
}

void shell_free(struct sim_shell *sh)
{
	if (!sh)
		return;
	for (int i = 0; i < sh->ncmds; i++)
		cmd_free(&sh->cmds[i]);
	free(sh->cmds);
	free(sh->user);
	buf_free(&sh->pipe_in);
	buf_free(&sh->pipe_out);
	buf_free(&sh->file_in);
	free(sh->out_path);
	free(sh->err_path);
	free(sh);
}

int shell_status(const struct sim_shell *sh)
{
	return sh->status;
}

/* The in-memory files of a host. */

static struct vfs_file *vfs_find(struct sim_host *h, const char *path)
{
	for (int i = 0; i < h->nfiles; i++)
		if (strcmp(h->files[i].path, path) == 0)
			return &h->files[i];
	return NULL;
}

static struct vfs_file *vfs_create(struct sim_host *h, const char *path)
{
	struct vfs_file *f = vfs_find(h, path);
	if (f)
		return f;
	if (h->nfiles >= VFS_MAX_FILES)
		return NULL;
	h->files = xrealloc(h->files, (size_t)(h->nfiles + 1) * sizeof *h->files);
	f = &h->files[h->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	buf_append(&f->data, "", 0);
	return f;
}

static bool vfs_remove(struct sim_host *h, const char *path)
{
	struct vfs_file *f = vfs_find(h, path);
	if (!f)
		return false;
	free(f->path);
	buf_free(&f->data);
	*f = h->files[--h->nfiles];
	return true;
}

void vfs_free_all(struct sim_host *h)
{
	for (int i = 0; i < h->nfiles; i++) {
		free(h->files[i].path);
		buf_free(&h->files[i].data);
	}
	free(h->files);
	h->files = NULL;
	h->nfiles = 0;
}

/* Paths: relative ones are from the login user's home. */
static char *abs_path(const struct sim_shell *sh, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	if (strcmp(sh->user, "root") == 0)
		return xasprintf("/root/%s", p);
	return xasprintf("/home/%s/%s", sh->user, p);
}

static bool read_only_path(const char *p)
{
	return str_starts_with(p, "/proc/") || str_starts_with(p, "/sys/") ||
	       (str_starts_with(p, "/dev/") && strcmp(p, "/dev/null") != 0);
}

/* The running command's view. */
struct ctx {
	struct sim_shell *sh;
	struct sh_io *io;
	int64_t *sleep_ms;
	enum sh_wait wait; /* set by a command that returns -1 */
};

static void sink_write(struct ctx *c, const struct sink *s, const char *data, size_t len)
{
	switch (s->kind) {
	case SINK_OUT:
		buf_append(c->io->out, data, len);
		break;
	case SINK_ERR:
		buf_append(c->io->err, data, len);
		break;
	case SINK_NULL:
		break;
	case SINK_PIPE:
		buf_append(&c->sh->pipe_out, data, len);
		break;
	case SINK_FILE: {
		/* Looked up each time: another session may remove the file. */
		struct vfs_file *f = vfs_create(c->sh->host, s->path);
		if (f && f->data.len + len <= VFS_MAX_BYTES)
			buf_append(&f->data, data, len);
		else
			c->sh->no_space = true;
		break;
	}
	}
}

static void out_write(struct ctx *c, const char *data, size_t len)
{
	sink_write(c, &c->sh->out, data, len);
}

FT_PRINTF(2, 3) static void out_printf(struct ctx *c, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		out_write(c, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

FT_PRINTF(2, 3) static void err_printf(struct ctx *c, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		sink_write(c, &c->sh->err, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void out_buf(struct ctx *c, const struct buf *b)
{
	if (b->len)
		out_write(c, b->data, b->len);
}

/* Commands. Each returns its exit status, or -1 to wait (sleep or stdin). */
typedef int (*cmd_fn)(struct ctx *c, int argc, char **argv);

static int cmd_true(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	return 0;
}

static int cmd_false(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	return 1;
}

static int cmd_exit(struct ctx *c, int argc, char **argv)
{
	int status = c->sh->status;
	if (argc > 1) {
		char *end;
		errno = 0;
		long v = strtol(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || v < 0) {
			err_printf(c, "sh: 1: exit: Illegal number: %s\n", argv[1]);
			status = 2;
		} else {
			status = (int)(v & 255);
		}
	}
	c->sh->exited = true;
	return status;
}

static int cmd_echo(struct ctx *c, int argc, char **argv)
{
	int i = 1;
	bool nl = true;
	if (i < argc && strcmp(argv[i], "-n") == 0) {
		nl = false;
		i++;
	}
	for (int first = i; i < argc; i++) {
		if (i > first)
			out_write(c, " ", 1);
		out_write(c, argv[i], strlen(argv[i]));
	}
	if (nl)
		out_write(c, "\n", 1);
	return 0;
}

/* `fleetop-sim-plugins`: what an admin's custom collector would print on a
 * game host (fleetop-collectors(7)): plugin tick time and entity count
 * that follow the load, the age of the last backup, and an event while
 * the server lags. */
static int cmd_sim_plugins(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	struct sim_host *h = c->sh->host;
	if (!h->query_port) {
		out_printf(c, "{\"event\":\"no_game\",\"severity\":\"info\",\"message\":\"no game server on this host\"}\n");
		return 0;
	}
	struct gsrv_view v;
	sim_game_view(h, &v);
	double mspt = v.mspt[0][0];
	out_printf(c, "{\"metric\":\"plugin.tick_ms\",\"value\":%.2f}\n", mspt * 0.18);
	double wall = sim_wall_now(h->sim);
	out_printf(c, "{\"metrics\":{\"plugin.entities\":%d,\"backup.age_s\":%.0f}}\n",
		   v.players * 37 + 120, fmod(wall + h->idx * 977.0, 6 * 3600.0));
	if (v.tps[0] < 15)
		out_printf(c, "{\"event\":\"tick_lag\",\"severity\":\"warning\",\"message\":"
			   "\"TPS %.1f with %d players on %s\"}\n", v.tps[0], v.players,
			   v.map[0] ? v.map : h->name);
	return 0;
}

static int cmd_hostname(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	out_printf(c, "%s\n", c->sh->host->name);
	return 0;
}

static int cmd_uname(struct ctx *c, int argc, char **argv)
{
	/* The fields in uname's order, picked by the options. */
	enum { U_S = 1, U_N = 2, U_R = 4, U_V = 8, U_M = 16, U_O = 32 };
	int want = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--all") == 0) {
			want = U_S | U_N | U_R | U_V | U_M | U_O;
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			err_printf(c, "uname: extra operand '%s'\n", a);
			return 1;
		}
		for (const char *p = a + 1; *p; p++) {
			switch (*p) {
			case 'a': want |= U_S | U_N | U_R | U_V | U_M | U_O; break;
			case 's': want |= U_S; break;
			case 'n': want |= U_N; break;
			case 'r': want |= U_R; break;
			case 'v': want |= U_V; break;
			case 'm': case 'p': case 'i': want |= U_M; break;
			case 'o': want |= U_O; break;
			default:
				err_printf(c, "uname: invalid option -- '%c'\n", *p);
				return 1;
			}
		}
	}
	if (!want)
		want = U_S;
	const char *parts[] = { "Linux", c->sh->host->name, SIM_KERNEL_RELEASE, SIM_KERNEL_VERSION,
				"x86_64", "GNU/Linux" };
	bool first = true;
	for (int i = 0; i < 6; i++) {
		if (!(want & (1 << i)))
			continue;
		out_printf(c, "%s%s", first ? "" : " ", parts[i]);
		first = false;
	}
	out_write(c, "\n", 1);
	return 0;
}

static int cmd_sleep(struct ctx *c, int argc, char **argv)
{
	if (argc < 2) {
		err_printf(c, "sleep: missing operand\n");
		return 1;
	}
	double total = 0;
	for (int i = 1; i < argc; i++) {
		char *end;
		double v = strtod(argv[i], &end);
		double mul = 1;
		if (end != argv[i] && *end && !end[1]) {
			mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : -1;
			end++;
		}
		if (end == argv[i] || *end || mul < 0 || !(v >= 0) || isinf(v)) {
			err_printf(c, "sleep: invalid time interval '%s'\n", argv[i]);
			return 1;
		}
		total += v * mul;
	}
	/* A day is as long as anyone waits for a simulated host. */
	*c->sleep_ms = (int64_t)(fmin(total, 86400) * 1000);
	c->wait = SH_SLEEP;
	return -1;
}

static int cmd_uptime(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	const struct model_host *m = sim_host_model(c->sh->host);
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	long up = (long)m->uptime_s, days = up / 86400, hours = up % 86400 / 3600, mins = up % 3600 / 60;
	out_printf(c, " %02d:%02d:%02d up ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (days)
		out_printf(c, "%ld day%s, ", days, days == 1 ? "" : "s");
	if (hours)
		out_printf(c, "%2ld:%02ld, ", hours, mins);
	else
		out_printf(c, "%ld min, ", mins);
	out_printf(c, " 0 users,  load average: %.2f, %.2f, %.2f\n", m->load[0], m->load[1],
		   m->load[2]);
	return 0;
}

static int cmd_nproc(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	out_printf(c, "%d\n", sim_host_model(c->sh->host)->ncores);
	return 0;
}

static int cmd_whoami(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	out_printf(c, "%s\n", c->sh->user);
	return 0;
}

static int cmd_df(struct ctx *c, int argc, char **argv)
{
	const struct model_host *m = sim_host_model(c->sh->host);
	int rows[16], n = 0, status = 0, npaths = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		npaths++;
		char *p = abs_path(c->sh, argv[i]);
		int k = model_mount_for(m, p);
		free(p);
		if (k < 0) {
			err_printf(c, "df: %s: No such file or directory\n", argv[i]);
			status = 1;
		} else if (n < 16) {
			rows[n++] = k;
		}
	}
	if (!npaths)
		for (int i = 0; i < m->nmounts; i++)
			rows[n++] = i;
	if (n) {
		struct buf b = { 0 };
		proc_df_rows(&b, m, rows, n, true);
		out_buf(c, &b);
		buf_free(&b);
	}
	return status;
}

/* Reads the command's stdin to its stdout; waits for more until EOF. */
static int cat_stdin(struct ctx *c)
{
	struct sim_shell *sh = c->sh;
	if (sh->in_src == 1 || sh->in_src == 2) {
		struct buf *b = sh->in_src == 1 ? &sh->pipe_in : &sh->file_in;
		out_buf(c, b);
		buf_reset(b);
		return 0;
	}
	/* A reader that does not keep up holds cat back, as a full pipe would. */
	if (sh->out.kind == SINK_OUT && c->io->out->len > CAT_OUT_CAP) {
		c->wait = SH_STDIN;
		return -1;
	}
	out_buf(c, c->io->in);
	buf_reset(c->io->in);
	if (c->io->in_eof)
		return 0;
	c->wait = SH_STDIN;
	return -1;
}

static int cmd_cat(struct ctx *c, int argc, char **argv)
{
	int status = 0, nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue; /* -u, -v ...: the output is the same here */
		nfiles++;
	}
	if (!nfiles)
		return cat_stdin(c);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		if (strcmp(argv[i], "-") == 0) {
			/* Only stdin already here: a cat mixing files and a
			 * still-open stdin is beyond this shell. */
			cat_stdin(c);
			continue;
		}
		char *p = abs_path(c->sh, argv[i]);
		struct vfs_file *f = vfs_find(c->sh->host, p);
		struct buf b = { 0 };
		if (f && c->sh->out.kind == SINK_FILE && strcmp(c->sh->out.path, p) == 0) {
			err_printf(c, "cat: %s: input file is output file\n", argv[i]);
			status = 1;
		} else if (f) {
			/* A copy: writing can move the files around (a new one). */
			buf_append(&b, f->data.data, f->data.len);
			out_buf(c, &b);
		} else if (proc_file(&b, sim_host_model(c->sh->host), c->sh->host->name, p,
				     sim_wall_now(c->sh->host->sim)) == 0) {
			out_buf(c, &b);
		} else {
			err_printf(c, "cat: %s: No such file or directory\n", argv[i]);
			status = 1;
		}
		buf_free(&b);
		free(p);
	}
	return status;
}

static int cmd_rm(struct ctx *c, int argc, char **argv)
{
	bool force = false;
	int status = 0;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && strchr(argv[i], 'f'))
			force = true;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		char *p = abs_path(c->sh, argv[i]);
		if (!vfs_remove(c->sh->host, p) && !force) {
			err_printf(c, "rm: cannot remove '%s': No such file or directory\n", argv[i]);
			status = 1;
		}
		free(p);
	}
	return status;
}

static int cmd_test(struct ctx *c, int argc, char **argv)
{
	/* test -e/-f/-s FILE and [ ... ]: what deploy scripts check. */
	if (strcmp(argv[0], "[") == 0) {
		if (strcmp(argv[argc - 1], "]") != 0) {
			err_printf(c, "sh: 1: [: missing ]\n");
			return 2;
		}
		argc--;
	}
	if (argc == 3 && argv[1][0] == '-' && strchr("efs", argv[1][1]) && !argv[1][2]) {
		char *p = abs_path(c->sh, argv[2]);
		struct vfs_file *f = vfs_find(c->sh->host, p);
		struct buf b = { 0 };
		bool exists = f || proc_file(&b, sim_host_model(c->sh->host), c->sh->host->name, p, 0) == 0;
		bool nonempty = f ? f->data.len > 0 : b.len > 0;
		buf_free(&b);
		free(p);
		return argv[1][1] == 's' ? !nonempty : !exists;
	}
	if (argc == 2)
		return argv[1][0] ? 0 : 1;
	return argc == 1 ? 1 : 2;
}

static int cmd_mkdir(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	return 0; /* directories are implied by the files in them */
}

static int cmd_systemctl(struct ctx *c, int argc, char **argv)
{
	/* The game services are always there and always come back. */
	const char *verb = argc > 1 ? argv[1] : "";
	if (strcmp(verb, "is-active") == 0) {
		for (int i = 2; i < argc; i++)
			out_printf(c, "active\n");
		return 0;
	}
	if (strcmp(verb, "status") == 0) {
		const char *unit = argc > 2 ? argv[2] : "game";
		out_printf(c, "* %s.service - %s game server\n     Loaded: loaded (/etc/systemd/system/%s.service; enabled)\n"
			      "     Active: active (running)\n", unit, unit, unit);
		return 0;
	}
	if (strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0 || strcmp(verb, "restart") == 0 ||
	    strcmp(verb, "reload") == 0 || strcmp(verb, "daemon-reload") == 0 ||
	    strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0)
		return 0;
	err_printf(c, "Unknown command verb %s.\n", verb);
	return 1;
}

static const struct {
	const char *name;
	cmd_fn fn;
} commands[] = {
	{ ":", cmd_true },
	{ "true", cmd_true },
	{ "false", cmd_false },
	{ "exit", cmd_exit },
	{ "echo", cmd_echo },
	{ "hostname", cmd_hostname },
	{ "fleetop-sim-plugins", cmd_sim_plugins },
	{ "uname", cmd_uname },
	{ "sleep", cmd_sleep },
	{ "uptime", cmd_uptime },
	{ "nproc", cmd_nproc },
	{ "whoami", cmd_whoami },
	{ "df", cmd_df },
	{ "cat", cmd_cat },
	{ "rm", cmd_rm },
	{ "test", cmd_test },
	{ "[", cmd_test },
	{ "mkdir", cmd_mkdir },
	{ "systemctl", cmd_systemctl },
};

static cmd_fn lookup(const char *name)
{
	/* /bin/echo and friends are the same commands. */
	static const char *const dirs[] = { "/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (str_starts_with(name, dirs[i]) && !strchr(name + strlen(dirs[i]), '/')) {
			name += strlen(dirs[i]);
			break;
		}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].fn;
	return NULL;
}

/* Points target (sh->out or sh->err) at a file; each sink owns its path. */
static void sink_set(struct sim_shell *sh, struct sink *target, struct sink src)
{
	char **slot = target == &sh->out ? &sh->out_path : &sh->err_path;
	char *path = src.kind == SINK_FILE ? xstrdup(src.path) : NULL;
	free(*slot);
	*slot = path;
	*target = (struct sink){ src.kind, path };
}

/* Sets up a command's sinks and stdin from its redirections; -1 (message
 * written) if a file cannot be opened. */
static int plumb(struct ctx *c, struct cmd *cmd, bool to_pipe)
{
	struct sim_shell *sh = c->sh;
	sink_set(sh, &sh->out, (struct sink){ to_pipe ? SINK_PIPE : SINK_OUT, NULL });
	sink_set(sh, &sh->err, (struct sink){ SINK_ERR, NULL });
	sh->in_src = cmd->join == J_PIPE ? 1 : 0;
	for (int i = 0; i < cmd->nredirs; i++) {
		struct redir *r = &cmd->redirs[i];
		struct sink *target = r->fd == 2 ? &sh->err : r->fd == 1 ? &sh->out : NULL;
		if (r->kind == R_DUP) {
			if (target && (r->dup_to == 1 || r->dup_to == 2))
				sink_set(sh, target, r->dup_to == 1 ? sh->out : sh->err);
			continue;
		}
		char *p = abs_path(sh, r->path);
		if (r->kind == R_IN) {
			struct vfs_file *f = vfs_find(sh->host, p);
			buf_reset(&sh->file_in);
			if (f) {
				buf_append(&sh->file_in, f->data.data, f->data.len);
			} else if (proc_file(&sh->file_in, sim_host_model(sh->host), sh->host->name, p,
					     sim_wall_now(sh->host->sim)) < 0) {
				err_printf(c, "sh: 1: cannot open %s: No such file\n", r->path);
				free(p);
				return -1;
			}
			sh->in_src = 2;
			free(p);
			continue;
		}
		if (!target) {
			free(p);
			continue;
		}
		if (strcmp(p, "/dev/null") == 0) {
			sink_set(sh, target, (struct sink){ SINK_NULL, NULL });
			free(p);
			continue;
		}
		struct vfs_file *f = read_only_path(p) ? NULL : vfs_create(sh->host, p);
		if (!f) {
			err_printf(c, "sh: 1: cannot create %s: %s\n", r->path,
				   sh->host->nfiles >= VFS_MAX_FILES ? "No space left on device" :
								       "Permission denied");
			free(p);
			return -1;
		}
		if (r->kind == R_OUT)
			buf_reset(&f->data);
		sink_set(sh, target, (struct sink){ SINK_FILE, p });
		free(p);
	}
	return 0;
}

/* Runs a command (its plumbing set); status, or -1 to wait. */
static int run_cmd(struct ctx *c, struct cmd *cmd)
{
	int argc = cmd->argc;
	char **argv = cmd->argv;
	/* Prefixes that change nothing here. */
	while (argc > 0 && (strcmp(argv[0], "exec") == 0 || strcmp(argv[0], "sudo") == 0 ||
			    strcmp(argv[0], "command") == 0 || strcmp(argv[0], "nohup") == 0)) {
		bool sudo = strcmp(argv[0], "sudo") == 0;
		argc--, argv++;
		while (sudo && argc > 0 && argv[0][0] == '-')
			argc--, argv++;
	}
	if (argc == 0)
		return 0;
	cmd_fn fn = lookup(argv[0]);
	if (!fn) {
		err_printf(c, "sh: 1: %s: not found\n", argv[0]);
		return 127;
	}
	return fn(c, argc, argv);
}

/* A command is over: its output becomes the next stage's input. */
static void finish_cmd(struct ctx *c, int status)
{
	struct sim_shell *sh = c->sh;
	if (sh->no_space) {
		err_printf(c, "sh: 1: write error: No space left on device\n");
		sh->no_space = false;
		if (status == 0)
			status = 1;
	}
	sh->status = status;
	buf_reset(&sh->pipe_in);
	if (sh->pipe_out.len)
		buf_append(&sh->pipe_in, sh->pipe_out.data, sh->pipe_out.len);
	buf_reset(&sh->pipe_out);
	sh->pc++;
}

enum sh_wait shell_run(struct sim_shell *sh, struct sh_io *io, int64_t *sleep_ms)
{
	struct ctx c = { sh, io, sleep_ms, SH_DONE };
	if (sh->syntax_error) {
		err_printf(&c, "sh: 1: Syntax error: %s\n", sh->syntax_error);
		sh->syntax_error = NULL;
		sh->status = 2;
		sh->pc = sh->ncmds;
		return SH_DONE;
	}
	if (sh->waiting == SH_STDIN) {
		if (cat_stdin(&c) < 0)
			return SH_STDIN;
		sh->waiting = SH_DONE;
		finish_cmd(&c, 0);
	} else if (sh->waiting == SH_SLEEP) {
		sh->waiting = SH_DONE;
		finish_cmd(&c, 0);
	}
	while (sh->pc < sh->ncmds && !sh->exited) {
		struct cmd *cmd = &sh->cmds[sh->pc];
		if (cmd->join != J_PIPE)
			sh->skipping = (cmd->join == J_AND && sh->status != 0) ||
				       (cmd->join == J_OR && sh->status == 0);
		if (sh->skipping) {
			sh->pc++;
			continue;
		}
		bool to_pipe = sh->pc + 1 < sh->ncmds && sh->cmds[sh->pc + 1].join == J_PIPE;
		int st = plumb(&c, cmd, to_pipe) == 0 ? run_cmd(&c, cmd) : 2;
		if (st < 0) {
			sh->waiting = c.wait;
			return sh->waiting;
		}
		finish_cmd(&c, st);
	}
	return SH_DONE;
}
