/* catalog: documents -> fixture set, swapped atomically (see catalog.h). */
#include "catalog.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "json_util.h"
#include "limits.h"

struct catalog {
    char *dir;
    int allow_empty;                       /* the directory may have no fixture yet */
    _Atomic(struct fixture_set *) current; /* the set in force (one reference held here) */
    atomic_int acquiring;                  /* readers between loading 'current' and their incref */
    pthread_mutex_t lock;                  /* serialises changes */
    struct fixture_docs disk;              /* the directory as last read successfully */
    struct fixture_docs runtime;           /* fixtures added at run time, one a document */
    json_t *runtime_names;                 /* their names, index for index */
    json_t *removed;                       /* names taken out of the files' fixtures */
    /* --watch */
    pthread_t watcher;
    int watching;
    atomic_int stop;
    unsigned interval_ms;
    char *signature;                       /* names, sizes and times of the files seen */
    void (*log)(void *user, const char *line);
    void *log_user;
};

/* ---- Building and swapping ---------------------------------------------- */

/* A new set from the run-time documents, then 'disk'. NULL with 'err'. */
static struct fixture_set *build(struct catalog *c, const struct fixture_docs *disk,
                                 struct mock_error *err)
{
    struct fixture_docs all = {NULL, 0, 0};
    struct fixture_set *set = calloc(1, sizeof(*set));
    int rc;

    all.cap = c->runtime.n + disk->n;
    all.v = all.cap ? malloc(all.cap * sizeof(*all.v)) : NULL;
    if (!set || (all.cap && !all.v)) {
        free(set);
        free(all.v);
        mock_error_set(err, NULL, 0, 0, "out of memory");
        return NULL;
    }
    /* Shallow copies: the texts stay owned by c->runtime and 'disk'. */
    if (c->runtime.n)
        memcpy(all.v, c->runtime.v, c->runtime.n * sizeof(*all.v));
    if (disk->n)
        memcpy(all.v + c->runtime.n, disk->v, disk->n * sizeof(*all.v));
    all.n = all.cap;
    rc = fixture_set_build(set, &all, c->runtime.n, c->removed, err, NULL);
    free(all.v);
    if (rc == 0 && set->n == 0 && !c->allow_empty) {
        fixture_set_release(set);
        mock_error_set(err, c->dir ? c->dir : "", 0, 0, "no fixtures left");
        rc = -1;
    }
    if (rc != 0) {
        free(set);
        return NULL;
    }
    atomic_init(&set->refs, 1);
    return set;
}

/* Put 'set' in force. The old set goes once no reader can still be taking
 * a reference to it; readers that hold one keep it. */
static void swap(struct catalog *c, struct fixture_set *set)
{
    struct fixture_set *old = atomic_exchange(&c->current, set);

    while (atomic_load(&c->acquiring) > 0)
        sched_yield();
    fixture_set_unref(old);
}

struct fixture_set *catalog_acquire(struct catalog *c)
{
    struct fixture_set *set;

    atomic_fetch_add(&c->acquiring, 1);
    set = atomic_load(&c->current);
    atomic_fetch_add(&set->refs, 1);
    atomic_fetch_sub(&c->acquiring, 1);
    return set;
}

/* A catalog around its on-disk documents (taken over); NULL on error, with
 * the documents released either way. */
static struct catalog *catalog_start(char *dir, int allow_empty, struct fixture_docs *docs,
                                     struct mock_error *err)
{
    struct catalog *c = calloc(1, sizeof(*c));
    struct fixture_set *set;

    if (!c) {
        free(dir);
        fixture_docs_release(docs);
        mock_error_set(err, NULL, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->acquiring, 0);
    atomic_init(&c->stop, 0);
    c->dir = dir;
    c->allow_empty = allow_empty;
    c->runtime_names = json_array();
    c->removed = json_object();
    c->disk = *docs;
    memset(docs, 0, sizeof(*docs));
    if (!(set = build(c, &c->disk, err))) {
        catalog_free(c);
        return NULL;
    }
    atomic_init(&c->current, set);
    return c;
}

struct catalog *catalog_new(const char *dir, int allow_empty, struct mock_error *err)
{
    struct fixture_docs docs = {0};
    char *copy = strdup(dir);

    if (!copy) {
        mock_error_set(err, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (fixture_docs_read_dir(&docs, dir, err, NULL, allow_empty) != 0) { /* released on error */
        free(copy);
        return NULL;
    }
    return catalog_start(copy, allow_empty, &docs, err);
}

struct catalog *catalog_new_docs(struct fixture_docs *docs, struct mock_error *err)
{
    return catalog_start(NULL, 0, docs, err);
}

void catalog_free(struct catalog *c)
{
    if (!c)
        return;
    if (c->watching) {
        atomic_store(&c->stop, 1);
        pthread_join(c->watcher, NULL);
    }
    fixture_set_unref(atomic_load(&c->current));
    fixture_docs_release(&c->disk);
    fixture_docs_release(&c->runtime);
    json_decref(c->runtime_names);
    json_decref(c->removed);
    pthread_mutex_destroy(&c->lock);
    free(c->signature);
    free(c->dir);
    free(c);
}

/* ---- Changes -------------------------------------------------------------- */

/* Caller holds the lock. */
static int reload_locked(struct catalog *c, struct mock_error *err)
{
    struct fixture_docs disk;
    struct fixture_set *set;

    if (!c->dir) {
        mock_error_set(err, NULL, 0, 0, "these fixtures were not read from a directory");
        return -1;
    }
    if (fixture_docs_read_dir(&disk, c->dir, err, NULL, c->allow_empty) != 0)
        return -1;
    json_object_clear(c->removed); /* a reload brings the files back whole */
    set = build(c, &disk, err);
    if (!set) {
        fixture_docs_release(&disk);
        return -1;
    }
    fixture_docs_release(&c->disk);
    c->disk = disk;
    swap(c, set);
    return 0;
}

int catalog_reload(struct catalog *c, struct mock_error *err)
{
    int rc;

    pthread_mutex_lock(&c->lock);
    rc = reload_locked(c, err);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Index of the run-time fixture 'name', or -1. */
static long runtime_index(const struct catalog *c, const char *name)
{
    size_t i;

    for (i = 0; i < json_array_size(c->runtime_names); i++)
        if (strcmp(json_string_value(json_array_get(c->runtime_names, i)), name) == 0)
            return (long)i;
    return -1;
}

static void runtime_drop(struct catalog *c, size_t i)
{
    free(c->runtime.v[i].source);
    free(c->runtime.v[i].text);
    memmove(&c->runtime.v[i], &c->runtime.v[i + 1], (c->runtime.n - i - 1) * sizeof(c->runtime.v[0]));
    c->runtime.n--;
    json_array_remove(c->runtime_names, i);
}

int catalog_put(struct catalog *c, const char *text, size_t len, json_t *names,
                struct mock_error *err)
{
    struct fixture_set probe;
    json_t *doc, *list, *fx;
    struct fixture_set *set;
    size_t i;
    int rc = -1;

    /* Validate the text alone first, so that errors point into it. */
    memset(&probe, 0, sizeof(probe));
    rc = fixture_set_load_text(&probe, text, len, "request", err);
    fixture_set_release(&probe);
    if (rc != 0)
        return -1;
    rc = -1;
    doc = json_loadb(text, len, 0, NULL);
    list = json_is_array(doc) ? json_incref(doc) : json_pack("[O]", doc);
    json_array_foreach(list, i, fx) {
        if (!json_util_str(fx, "name")) {
            if (json_is_array(doc))
                mock_error_set(err, "request", 0, 0,
                               "[%zu].name: a fixture added at run time needs a name", i);
            else
                mock_error_set(err, "request", 0, 0,
                               "name: a fixture added at run time needs a name");
            goto out;
        }
    }
    pthread_mutex_lock(&c->lock);
    json_array_foreach(list, i, fx) {
        const char *name = json_util_str(fx, "name");
        char *one = json_util_dumps(fx), source[RM_MAX_FIXTURE_NAME + 16];
        long at = runtime_index(c, name);

        if (at >= 0)
            runtime_drop(c, (size_t)at);
        snprintf(source, sizeof(source), "admin:%s", name);
        if (!one || fixture_docs_add(&c->runtime, source, one, strlen(one)) != 0) {
            free(one);
            pthread_mutex_unlock(&c->lock);
            mock_error_set(err, NULL, 0, 0, "out of memory");
            goto out;
        }
        /* Newest first: the last one put wins over older ones. */
        {
            struct fixture_doc added = c->runtime.v[c->runtime.n - 1];
            memmove(&c->runtime.v[1], &c->runtime.v[0],
                    (c->runtime.n - 1) * sizeof(c->runtime.v[0]));
            c->runtime.v[0] = added;
        }
        json_array_insert(c->runtime_names, 0, json_object_get(fx, "name"));
        json_object_del(c->removed, name);
        free(one);
        if (names)
            json_array_append(names, json_object_get(fx, "name"));
    }
    set = build(c, &c->disk, err);
    if (set) {
        swap(c, set);
        rc = 0;
    }
    pthread_mutex_unlock(&c->lock);
out:
    json_decref(list);
    json_decref(doc);
    return rc;
}

int catalog_remove(struct catalog *c, const char *name, struct mock_error *err)
{
    struct fixture_set *cur, *set;
    long at;
    int known, rc = 0;

    pthread_mutex_lock(&c->lock);
    cur = atomic_load(&c->current);
    known = fixture_find(cur, name) != NULL && !strchr(name, '#');
    if (!known) {
        pthread_mutex_unlock(&c->lock);
        mock_error_set(err, NULL, 0, 0, "no fixture is named '%.200s'", name);
        return -1;
    }
    if ((at = runtime_index(c, name)) >= 0)
        runtime_drop(c, (size_t)at);
    else
        json_object_set_new(c->removed, name, json_true());
    set = build(c, &c->disk, err);
    if (set)
        swap(c, set);
    else
        rc = -2; /* nothing left: keep what is in force */
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* ---- --watch -------------------------------------------------------------- */

/* "name size mtime" of every *.json file of 'dir', one line each, in name
 * order (new allocation), or NULL. */
static char *dir_signature(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    json_t *lines = json_array();
    struct buf b;
    size_t i;
    char *out;

    buf_init(&b, 1u << 20);
    if (!d) {
        json_decref(lines);
        return strdup("(missing)");
    }
    while ((de = readdir(d))) {
        char path[MOCK_ERROR_FILE_MAX], line[MOCK_ERROR_FILE_MAX + 64];
        size_t len = strlen(de->d_name);
        struct stat st;

        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0)
            continue;
        snprintf(line, sizeof(line), "%s %lld %lld.%09ld", de->d_name, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        json_array_append_new(lines, json_string(line));
    }
    closedir(d);
    /* readdir order is arbitrary: sort the lines. */
    for (i = 1; i < json_array_size(lines); i++) {
        size_t j = i;
        while (j > 0 && strcmp(json_string_value(json_array_get(lines, j - 1)),
                               json_string_value(json_array_get(lines, j))) > 0) {
            json_t *t = json_incref(json_array_get(lines, j));
            json_array_set(lines, j, json_array_get(lines, j - 1));
            json_array_set_new(lines, j - 1, t);
            j--;
        }
    }
    for (i = 0; i < json_array_size(lines); i++)
        buf_appendf(&b, "%s\n", json_string_value(json_array_get(lines, i)));
    json_decref(lines);
    out = buf_take(&b, NULL);
    return out;
}

static void *watch_main(void *arg)
{
    struct catalog *c = arg;

    while (!atomic_load(&c->stop)) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        unsigned waited;
        char *sig;

        for (waited = 0; waited < c->interval_ms && !atomic_load(&c->stop); waited += 50)
            nanosleep(&ts, NULL);
        if (atomic_load(&c->stop))
            break;
        sig = dir_signature(c->dir);
        if (sig && c->signature && strcmp(sig, c->signature) != 0) {
            struct mock_error err;
            char line[MOCK_ERROR_TEXT_MAX + MOCK_ERROR_FILE_MAX + 64], where[sizeof(line)];

            mock_error_clear(&err);
            if (catalog_reload(c, &err) == 0) {
                snprintf(line, sizeof(line), "fixtures in %s changed: reloaded", c->dir);
            } else {
                mock_error_format(&err, where, sizeof(where));
                snprintf(line, sizeof(line), "fixtures in %s changed but are bad, kept the set in "
                                             "force: %s", c->dir, where);
            }
            if (c->log)
                c->log(c->log_user, line);
        }
        free(c->signature);
        c->signature = sig;
    }
    return NULL;
}

int catalog_watch(struct catalog *c, unsigned interval_ms,
                  void (*log)(void *user, const char *line), void *user)
{
    if (c->watching)
        return 0;
    if (!c->dir)
        return -1;
    c->interval_ms = interval_ms ? interval_ms : 500;
    c->log = log;
    c->log_user = user;
    c->signature = dir_signature(c->dir);
    if (pthread_create(&c->watcher, NULL, watch_main, c) != 0)
        return -1;
    c->watching = 1;
    return 0;
}
