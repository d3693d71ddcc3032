/* A small INI reader: [section], key = value, # and ; comments. */
#include <ctype.h>
#include <string.h>

#include "fleetop/settings.h"

/* Cuts an inline comment: '#' or ';' that starts the value or follows
 * whitespace. "a#b" stays whole so URLs and colours survive. */
static void cut_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if ((*p == '#' || *p == ';') && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* A value in double or single quotes keeps its spaces, '#' and ';'.
 * Inside double quotes, \" and \\ escape. */
static int unquote(char *v, const char *name, int line, const char *key, struct error *err)
{
	char q = v[0];
	char *out = v;
	char *p = v + 1;
	for (;; p++) {
		if (*p == '\0')
			return error_set(err, "%s:%d: unterminated quote in value of '%s'", name, line,
					 key);
		if (*p == q)
			break;
		if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*out++ = *p;
	}
	char *rest = p + 1;
	cut_comment(rest);
	if (*str_trim(rest) != '\0')
		return error_set(err, "%s:%d: unexpected text after the quoted value of '%s'", name,
				 line, key);
	*out = '\0';
	return 0;
}

static int parse(const char *text, const char *name, ini_fn fn, void *arg, bool sections,
		 struct error *err)
{
	struct buf section = { 0 };
	struct buf lb = { 0 };
	buf_puts(&section, "");
	int rc = 0;
	int lineno = 0;
	const char *p = text;
	if (str_starts_with(p, "\xef\xbb\xbf"))
		p += 3; /* a UTF-8 byte order mark from a Windows editor */
	while (*p && rc == 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		buf_reset(&lb);
		buf_append(&lb, p, len);
		p = nl ? nl + 1 : p + len;

		char *line = str_trim(lb.data);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');
			if (!close) {
				rc = error_set(err, "%s:%d: section header '%.60s' has no closing ']'",
					       name, lineno, line);
				break;
			}
			char *after = close + 1;
			*close = '\0';
			cut_comment(after);
			if (*str_trim(after) != '\0') {
				rc = error_set(err, "%s:%d: unexpected text after [%.60s]", name, lineno,
					       line + 1);
				break;
			}
			char *sec = str_trim(line + 1);
			if (*sec == '\0' || strchr(sec, '[')) {
				rc = error_set(err, "%s:%d: bad section header '[%.60s]'", name, lineno,
					       sec);
				break;
			}
			buf_reset(&section);
			buf_puts(&section, sec);
			if (sections)
				rc = fn(arg, section.data, NULL, NULL, lineno, err);
			continue;
		}
		char *eq = strchr(line, '=');
		if (!eq) {
			rc = error_set(err, "%s:%d: expected 'key = value' or '[section]', got '%.60s'",
				       name, lineno, line);
			break;
		}
		*eq = '\0';
		char *key = str_trim(line);
		char *value = str_trim(eq + 1);
		if (*key == '\0') {
			rc = error_set(err, "%s:%d: missing key before '='", name, lineno);
			break;
		}
		if (*value == '"' || *value == '\'') {
			if (unquote(value, name, lineno, key, err) < 0) {
				rc = -1;
				break;
			}
		} else {
			cut_comment(value);
			value = str_trim(value);
		}
		rc = fn(arg, section.data, key, value, lineno, err);
	}
	buf_free(&section);
	buf_free(&lb);
	return rc == 0 ? 0 : -1;
}

int ini_parse(const char *text, const char *name, ini_fn fn, void *arg, struct error *err)
{
	return parse(text, name, fn, arg, false, err);
}

int ini_parse_sections(const char *text, const char *name, ini_fn fn, void *arg,
		       struct error *err)
{
	return parse(text, name, fn, arg, true, err);
}
