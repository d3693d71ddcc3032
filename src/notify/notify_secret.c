/* Secrets for notify.conf: a webhook URL, token, password or routing key,
 * read from a file only its owner may read (refused otherwise, as OpenSSH
 * refuses a private key others can read) or from an environment variable.
 * A secret is one line; no message here ever shows what it holds. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify_private.h"

#define SECRET_MAX 16384

/* Trailing newline and spaces go; what is left must be one line of
 * printable text (it ends up in a header or a URL). */
static const char *check_secret(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	size_t lead = 0;
	while (lead < n && isspace((unsigned char)s[lead]))
		lead++;
	memmove(s, s + lead, n - lead + 1);
	if (*s == '\0')
		return "is empty";
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "holds more than one line or a control character";
	return NULL;
}

int notify_secret_file(const struct conf_ctx *c, const struct conf_section *s,
		       const struct conf_kv *kv, char **out, struct error *err)
{
	*out = NULL;
	if (*kv->value == '\0')
		return conf_fail(c, s, kv->line, err, "%s is empty; expected a file path", kv->key);
	char *path = conf_path(c, kv->value);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		conf_fail(c, s, kv->line, err, "%s: cannot open %s: %s", kv->key, path,
			  strerror(e));
		free(path);
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) < 0) {
		conf_fail(c, s, kv->line, err, "%s: cannot stat %s: %s", kv->key, path,
			  strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_fail(c, s, kv->line, err, "%s: %s is not a regular file", kv->key, path);
		goto out;
	}
	if (st.st_mode & 077) {
		conf_fail(c, s, kv->line, err,
			  "%s: permissions %04o for %s are too open: a secret must not be readable "
			  "by group or others; run chmod 600 %s", kv->key,
			  (unsigned)(st.st_mode & 07777), path, path);
		goto out;
	}
	if (st.st_size > SECRET_MAX) {
		conf_fail(c, s, kv->line, err, "%s: %s is larger than %d bytes; expected one line",
			  kv->key, path, SECRET_MAX);
		goto out;
	}
	char *data = xmalloc(SECRET_MAX + 1);
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, data + len, SECRET_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			conf_fail(c, s, kv->line, err, "%s: cannot read %s: %s", kv->key, path,
				  strerror(errno));
			free(data);
			goto out;
		}
		if (r == 0 || (len += (size_t)r) == SECRET_MAX)
			break;
	}
	data[len] = '\0';
	const char *why = strlen(data) != len ? "holds a NUL byte" : check_secret(data);
	if (why) {
		conf_fail(c, s, kv->line, err, "%s: %s %s", kv->key, path, why);
		explicit_bzero(data, SECRET_MAX + 1);
		free(data);
		goto out;
	}
	*out = xstrdup(data);
	explicit_bzero(data, SECRET_MAX + 1);
	free(data);
	rc = 0;
out:
	close(fd);
	free(path);
	return rc;
}

int notify_secret_env(const struct conf_ctx *c, const struct conf_section *s,
		      const struct conf_kv *kv, char **out, struct error *err)
{
	*out = NULL;
	const char *name = kv->value;
	bool ok = (isalpha((unsigned char)*name) || *name == '_');
	for (const char *p = name; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (!ok)
		return conf_fail(c, s, kv->line, err,
				 "%s: '%.60s' is not an environment variable name", kv->key, name);
	const char *v = getenv(name);
	if (!v)
		return conf_fail(c, s, kv->line, err, "%s: environment variable %s is not set",
				 kv->key, name);
	char *copy = xstrdup(v);
	const char *why = check_secret(copy);
	if (why) {
		explicit_bzero(copy, strlen(copy));
		free(copy);
		return conf_fail(c, s, kv->line, err, "%s: environment variable %s %s", kv->key,
				 name, why);
	}
	*out = copy;
	return 0;
}
