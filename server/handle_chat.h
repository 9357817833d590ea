/* handle_chat: POST /v1/chat/completions, answered from the same fixtures
 * as the Responses API (generate.h), for teams that migrate from Chat
 * Completions. A handler_fn of the route table (router.c). */
#ifndef RM_HANDLE_CHAT_H
#define RM_HANDLE_CHAT_H

#include "request.h"

void chat_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                 struct rm_reply *out);

#endif
