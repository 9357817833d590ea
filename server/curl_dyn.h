/* curl_dyn: libcurl, loaded when record mode starts (dlopen), not linked.
 *
 * Only the recorder (record.c) talks to an upstream, and only with
 * --record-from; linking libcurl made every respmock start load and
 * relocate it and the ~28 libraries it pulls in (TLS, Kerberos, LDAP...),
 * which was most of the start-up time and of the idle RSS. The table is
 * filled once (pthread_once) from libcurl.so.4 and never changes after;
 * the types and constants still come from <curl/curl.h>. */
#ifndef RM_CURL_DYN_H
#define RM_CURL_DYN_H

#include <curl/curl.h>
#include <stddef.h>

struct curl_api {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *h);
    CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    CURLcode (*easy_pause)(CURL *h, int bitmask);
    const char *(*easy_strerror)(CURLcode code);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *m);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_perform)(CURLM *m, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms,
                            int *ret);
    CURLMcode (*multi_wakeup)(CURLM *m);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

/* The table, loaded on first call; NULL when libcurl.so.4 (7.88 or newer:
 * curl_multi_wakeup and CURLOPT_PROTOCOLS_STR) cannot be loaded, with why
 * in 'why' ('n' bytes; may be NULL). */
const struct curl_api *curl_dyn(char *why, size_t n);

#endif
