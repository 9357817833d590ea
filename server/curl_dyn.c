/* curl_dyn: libcurl loaded on demand (see curl_dyn.h). */
#include "curl_dyn.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define RM_LIBCURL_SONAME "libcurl.so.4"

/* Filled once by load(), read-only after. */
static struct curl_api api;
static const struct curl_api *loaded;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* One symbol into '*slot' (a function pointer of the right type). */
static int sym(void *lib, const char *name, void *slot)
{
    void *f = dlsym(lib, name);

    if (!f) {
        snprintf(load_error, sizeof(load_error), "%s has no %s (libcurl 7.88 or newer is needed)",
                 RM_LIBCURL_SONAME, name);
        return -1;
    }
    memcpy(slot, &f, sizeof(f)); /* object to function pointer, as POSIX dlsym allows */
    return 0;
}

static void load(void)
{
    void *lib = dlopen(RM_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    int bad = 0;

    if (!lib) {
        snprintf(load_error, sizeof(load_error), "cannot load %s: %s (apt-get install libcurl4)",
                 RM_LIBCURL_SONAME, dlerror());
        return;
    }
    bad |= sym(lib, "curl_global_init", &api.global_init);
    bad |= sym(lib, "curl_global_cleanup", &api.global_cleanup);
    bad |= sym(lib, "curl_easy_init", &api.easy_init);
    bad |= sym(lib, "curl_easy_cleanup", &api.easy_cleanup);
    bad |= sym(lib, "curl_easy_setopt", &api.easy_setopt);
    bad |= sym(lib, "curl_easy_getinfo", &api.easy_getinfo);
    bad |= sym(lib, "curl_easy_pause", &api.easy_pause);
    bad |= sym(lib, "curl_easy_strerror", &api.easy_strerror);
    bad |= sym(lib, "curl_multi_init", &api.multi_init);
    bad |= sym(lib, "curl_multi_cleanup", &api.multi_cleanup);
    bad |= sym(lib, "curl_multi_add_handle", &api.multi_add_handle);
    bad |= sym(lib, "curl_multi_remove_handle", &api.multi_remove_handle);
    bad |= sym(lib, "curl_multi_perform", &api.multi_perform);
    bad |= sym(lib, "curl_multi_info_read", &api.multi_info_read);
    bad |= sym(lib, "curl_multi_poll", &api.multi_poll);
    bad |= sym(lib, "curl_multi_wakeup", &api.multi_wakeup);
    bad |= sym(lib, "curl_slist_append", &api.slist_append);
    bad |= sym(lib, "curl_slist_free_all", &api.slist_free_all);
    if (bad) {
        dlclose(lib);
        return;
    }
    loaded = &api; /* the library stays loaded for the life of the process */
}

const struct curl_api *curl_dyn(char *why, size_t n)
{
    pthread_once(&once, load);
    if (!loaded && why && n)
        snprintf(why, n, "%s", load_error);
    return loaded;
}
