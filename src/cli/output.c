/* What the commands print the same way: JSON documents and local times. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <time.h>

#include "options.h"

void cli_json_print(struct cJSON *root)
{
	char *text = cJSON_Print(root);
	puts(text);
	cJSON_free(text);
	cJSON_Delete(root);
}

const char *cli_local_time(int64_t ms, char *out, size_t size)
{
	if (ms <= 0) {
		snprintf(out, size, "-");
		return out;
	}
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&sec, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
	return out;
}
