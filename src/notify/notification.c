/* A notification as JSON: what the outbox keeps, what a command hook reads
 * on stdin, and what the sender turns back into a request. No secrets are
 * in it: those come from notify.conf at send time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "render_private.h"

/* Text from hosts may be any bytes: JSON wants UTF-8. */
static void add_str(cJSON *o, const char *name, const char *v)
{
	if (!v) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	char *u = text_utf8(v);
	cJSON_AddStringToObject(o, name, u);
	free(u);
}

static cJSON *labels_json(const struct alert_label *l, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++) {
		if (!l[i].key)
			continue;
		char *k = text_utf8(l[i].key);
		if (!cJSON_GetObjectItemCaseSensitive(o, k))
			add_str(o, k, l[i].value ? l[i].value : "");
		free(k);
	}
	return o;
}

static cJSON *alert_json(const struct notify_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	add_str(o, "fingerprint", a->fingerprint);
	add_str(o, "status", a->status);
	add_str(o, "rule", a->rule);
	add_str(o, "host", a->host);
	add_str(o, "severity", alert_severity_name(a->severity));
	add_str(o, "summary", a->summary);
	add_str(o, "runbook", a->runbook);
	cJSON_AddItemToObject(o, "labels", labels_json(a->labels, a->nlabels));
	if (isfinite(a->value))
		cJSON_AddNumberToObject(o, "value", a->value);
	else
		cJSON_AddNullToObject(o, "value");
	cJSON_AddNumberToObject(o, "starts_ms", (double)a->starts_ms);
	cJSON_AddNumberToObject(o, "ends_ms", (double)a->ends_ms);
	add_str(o, "acked_by", a->acked_by);
	return o;
}

char *notification_to_json(const struct notification *n)
{
	cJSON *o = cJSON_CreateObject();
	add_str(o, "key", n->key);
	add_str(o, "receiver", n->receiver);
	add_str(o, "group_key", n->group_key);
	add_str(o, "status", n->status);
	add_str(o, "title", n->title);
	add_str(o, "severity", alert_severity_name(n->severity));
	cJSON_AddItemToObject(o, "common_labels", labels_json(n->common_labels, n->ncommon));
	cJSON_AddNumberToObject(o, "step", n->step);
	cJSON_AddNumberToObject(o, "created_ms", (double)n->created_ms);
	cJSON *alerts = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; i < n->nalerts; i++)
		cJSON_AddItemToArray(alerts, alert_json(&n->alerts[i]));
	char *raw = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *out = xstrdup(raw ? raw : "{}");
	cJSON_free(raw);
	return out;
}

/* ---- reading back ---- */

/* Absent or null: def (which may be NULL). Another type: an error. */
static int get_str(const cJSON *o, const char *name, const char *def, char **out,
		   struct error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!v || cJSON_IsNull(v)) {
		*out = def ? xstrdup(def) : NULL;
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return error_set(err, "notification: '%s' is not a string", name);
	*out = xstrdup(v->valuestring);
	return 0;
}

/* Integers up to 2^53 travel exactly as JSON numbers (ms since 1970 do). */
static int get_int(const cJSON *o, const char *name, int64_t *out, struct error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!v || cJSON_IsNull(v)) {
		*out = 0;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 9.0e15)
		return error_set(err, "notification: '%s' is not an integer", name);
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int get_severity(const cJSON *o, enum alert_severity *out, struct error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "severity");
	*out = SEV_NONE;
	if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !strcmp(v->valuestring, "none")))
		return 0;
	if (!cJSON_IsString(v) || alert_severity_parse(v->valuestring, out) < 0)
		return error_set(err, "notification: bad severity");
	return 0;
}

/* The members of object v (named name, for messages), all strings. */
static int labels_from_object(const cJSON *v, const char *name, struct alert_label **out,
			      size_t *n, struct error *err)
{
	*out = NULL;
	*n = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return error_set(err, "notification: '%s' is not an object", name);
	size_t count = (size_t)cJSON_GetArraySize(v);
	if (count == 0)
		return 0;
	*out = xcalloc(count, sizeof **out);
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it) || !it->string)
			return error_set(err, "notification: a label in '%s' is not a string", name);
		(*out)[*n].key = xstrdup(it->string);
		(*out)[*n].value = xstrdup(it->valuestring);
		++*n;
	}
	return 0;
}

static int get_labels(const cJSON *o, const char *name, struct alert_label **out, size_t *n,
		      struct error *err)
{
	return labels_from_object(cJSON_GetObjectItemCaseSensitive(o, name), name, out, n, err);
}

char *labels_to_json(const struct alert_label *l, size_t n)
{
	cJSON *o = labels_json(l, n);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

int labels_from_json(const char *json, struct alert_label **out, size_t *n, struct error *err)
{
	cJSON *o = cJSON_Parse(json);
	int rc = labels_from_object(o, "labels", out, n, err);
	if (!o && json && *json)
		rc = error_set(err, "labels: not JSON");
	if (rc < 0) {
		labels_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	cJSON_Delete(o);
	return rc;
}

static int alert_from(struct notify_alert *a, const cJSON *o, struct error *err)
{
	if (!cJSON_IsObject(o))
		return error_set(err, "notification: an alert is not an object");
	int64_t id = 0;
	if (get_int(o, "id", &id, err) < 0 || get_str(o, "fingerprint", "", &a->fingerprint, err) ||
	    get_str(o, "status", "firing", &a->status, err) || get_str(o, "rule", "", &a->rule, err) ||
	    get_str(o, "host", "", &a->host, err) || get_str(o, "summary", "", &a->summary, err) ||
	    get_str(o, "runbook", NULL, &a->runbook, err) ||
	    get_str(o, "acked_by", NULL, &a->acked_by, err) || get_severity(o, &a->severity, err) ||
	    get_labels(o, "labels", &a->labels, &a->nlabels, err) ||
	    get_int(o, "starts_ms", &a->starts_ms, err) || get_int(o, "ends_ms", &a->ends_ms, err))
		return -1;
	a->id = id;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
	if (cJSON_IsNumber(v))
		a->value = v->valuedouble;
	else if (!v || cJSON_IsNull(v))
		a->value = NAN;
	else
		return error_set(err, "notification: 'value' is not a number");
	return 0;
}

int notification_from_json(struct notification *n, const char *json, struct error *err)
{
	memset(n, 0, sizeof *n);
	cJSON *o = cJSON_Parse(json);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return error_set(err, "notification: not a JSON object");
	}
	int64_t step = 0;
	int rc = -1;
	if (get_str(o, "key", "", &n->key, err) || get_str(o, "receiver", "", &n->receiver, err) ||
	    get_str(o, "group_key", "", &n->group_key, err) ||
	    get_str(o, "status", "firing", &n->status, err) ||
	    get_str(o, "title", "", &n->title, err) || get_severity(o, &n->severity, err) ||
	    get_labels(o, "common_labels", &n->common_labels, &n->ncommon, err) ||
	    get_int(o, "step", &step, err) || get_int(o, "created_ms", &n->created_ms, err))
		goto out;
	if (step < 0 || step > 1000) {
		error_set(err, "notification: bad step");
		goto out;
	}
	n->step = (int)step;
	const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(o, "alerts");
	if (alerts && !cJSON_IsArray(alerts)) {
		error_set(err, "notification: 'alerts' is not an array");
		goto out;
	}
	size_t count = (size_t)cJSON_GetArraySize(alerts);
	if (count)
		n->alerts = xcalloc(count, sizeof *n->alerts);
	const cJSON *it;
	cJSON_ArrayForEach(it, alerts) {
		/* Counted first, so a half-read alert is freed with the rest. */
		if (alert_from(&n->alerts[n->nalerts++], it, err) < 0)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	if (rc < 0)
		notification_free(n);
	return rc;
}

void notification_free(struct notification *n)
{
	for (size_t i = 0; i < n->nalerts; i++) {
		struct notify_alert *a = &n->alerts[i];
		free(a->fingerprint);
		free(a->status);
		free(a->rule);
		free(a->host);
		free(a->summary);
		free(a->runbook);
		labels_free(a->labels, a->nlabels);
		free(a->acked_by);
	}
	free(n->alerts);
	free(n->key);
	free(n->receiver);
	free(n->group_key);
	free(n->status);
	free(n->title);
	labels_free(n->common_labels, n->ncommon);
	memset(n, 0, sizeof *n);
}
