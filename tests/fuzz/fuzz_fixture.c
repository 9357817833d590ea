/* fuzz_fixture: libFuzzer target for the fixture loader (issue 14): the
 * input is one fixture document (a file's text); when it loads, every
 * fixture of it is rendered as each route that answers from fixtures would
 * (Responses JSON and stream, Chat Completions JSON and stream), forced by
 * x-respmock-fixture, through the router in-process. A document that does
 * not load must fail with a message, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fuzz_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_as(struct rm_server *srv, const char *path, const char *body,
                      const char *fixture)
{
    struct rm_request req;

    fuzz_request_init(&req, "POST", path, body);
    req.fixture = fixture;
    fuzz_route_and_render(srv, &req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const bodies[][2] = {
        {"/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}"},
        {"/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}"},
        {"/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"background\":true}"},
        {"/v1/chat/completions",
         "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"},
        {"/v1/chat/completions",
         "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
         "\"stream\":true,\"stream_options\":{\"include_usage\":true}}"},
    };
    struct fixture_docs docs;
    struct fixture_set *set;
    struct rm_server *srv;
    size_t i, b;

    memset(&docs, 0, sizeof(docs));
    if (fixture_docs_add(&docs, "fuzz.json", (const char *)data, size) != 0) {
        fixture_docs_release(&docs);
        return 0;
    }
    srv = fuzz_server(&docs);
    if (!srv)
        return 0; /* refused with file:line:column, as it should be */
    set = server_fixtures(srv);
    for (i = 0; i < set->n; i++)
        for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
            render_as(srv, bodies[b][0], bodies[b][1], set->v[i].name);
    /* and chosen by matching, not by name */
    render_as(srv, bodies[1][0], bodies[1][1], NULL);
    fixture_set_unref(set);
    server_free(srv);
    return 0;
}
