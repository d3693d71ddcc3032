/* A command hook: the program runs with the notification as JSON on its
 * stdin (sender_cmd.c runs it, with a minimal environment). See "Command
 * hooks" in fleetop-notify(5). */
#include <stdlib.h>

#include "notify_private.h"
#include "render_private.h"

static int render_command(const struct notify_receiver *r, const struct notification *n,
			  struct notify_request *req, struct error *err)
{
	if (!r->argv || !r->argv[0])
		return error_set(err, "receiver %s: no command", r->name);
	req->kind = REQ_COMMAND;
	size_t argc = 0;
	while (r->argv[argc])
		argc++;
	req->argv = xcalloc(argc + 1, sizeof *req->argv);
	for (size_t i = 0; i < argc; i++)
		req->argv[i] = xstrdup(r->argv[i]);
	req_set_body(req, notification_to_json(n));
	return 0;
}

const struct receiver_kind receiver_command = {
	.name = "command",
	.takes = RK_TYPE | RK_COMMAND | RK_SEND_RESOLVED | RK_TIMEOUT,
	.needs = RK_COMMAND,
	.transport = TRANSPORT_COMMAND,
	.send_resolved = true,
	.render = render_command,
};
