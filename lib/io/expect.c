/*
 * expect.c -- expect files (another tool's loss and gradients) in, with
 * jansson.  The format is in gradcheck/expect.h; validation is as strict
 * as the network file's: unknown, missing and duplicate keys, ragged rows,
 * non-numbers and non-finite numbers are errors naming the field.
 */
#include "gradcheck/expect.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A tensor larger than this is refused: the check costs a forward pass per
 * element, so no real expect file comes near it. */
#define MAX_ELEMS 100000000LL

static const char *const TOP_KEYS[] = {"tool", "dtype", "loss", "grad", "notes", NULL};

static int known_key(const char *key)
{
    for (int i = 0; TOP_KEYS[i] != NULL; i++)
        if (strcmp(key, TOP_KEYS[i]) == 0)
            return 1;
    return 0;
}

/* Shape of a gradient value: an array of numbers (n x 1) or an array of
 * equally long arrays of numbers (rows x cols).  Checks every element. */
static int tensor_shape(const char *label, const char *name, const json_t *v, int *rows,
                        int *cols, gc_error *err)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0)
        return gc_error_set(err, GC_EPARSE, "%s: grad.%s: expected a non-empty array", label,
                            name);
    int matrix = json_is_array(json_array_get(v, 0));
    size_t m = matrix ? json_array_size(json_array_get(v, 0)) : 1;
    if (m == 0 || (long long)n * (long long)m > MAX_ELEMS)
        return gc_error_set(err, GC_EPARSE, "%s: grad.%s[0]: expected 1 to %lld numbers, got %zu",
                            label, name, MAX_ELEMS, m);
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(v, i);
        if (matrix && (!json_is_array(r) || json_array_size(r) != m))
            return gc_error_set(err, GC_EPARSE, "%s: grad.%s[%zu]: expected an array of %zu "
                                "numbers (as row 0)", label, name, i, m);
        for (size_t j = 0; j < m; j++) {
            const json_t *e = matrix ? json_array_get(r, j) : r;
            if (!json_is_number(e)) {
                if (matrix)
                    return gc_error_set(err, GC_EPARSE, "%s: grad.%s[%zu][%zu]: expected a "
                                        "number", label, name, i, j);
                return gc_error_set(err, GC_EPARSE, "%s: grad.%s[%zu]: expected a number",
                                    label, name, i);
            }
            if (!isfinite(json_number_value(e)))
                return gc_error_set(err, GC_ERANGE, "%s: grad.%s[%zu]: expected a finite "
                                    "number", label, name, i);
        }
    }
    *rows = (int)n;
    *cols = (int)m;
    return GC_OK;
}

static int load_tensor(const char *label, const char *name, const json_t *v,
                       gc_expect_tensor *t, gc_error *err)
{
    if (strlen(name) == 0 || strlen(name) >= GC_NAME_MAX)
        return gc_error_set(err, GC_EPARSE, "%s: grad: expected tensor names of 1 to %d "
                            "characters", label, GC_NAME_MAX - 1);
    int rc = tensor_shape(label, name, v, &t->rows, &t->cols, err);
    if (rc != GC_OK)
        return rc;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->grad = malloc((size_t)t->rows * (size_t)t->cols * sizeof *t->grad);
    if (t->grad == NULL)
        return gc_error_set(err, GC_ENOMEM, "%s: grad.%s: out of memory", label, name);
    int matrix = json_is_array(json_array_get(v, 0));
    for (int i = 0; i < t->rows; i++)
        for (int j = 0; j < t->cols; j++) {
            const json_t *r = json_array_get(v, (size_t)i);
            const json_t *e = matrix ? json_array_get(r, (size_t)j) : r;
            t->grad[(size_t)i * (size_t)t->cols + (size_t)j] = json_number_value(e);
        }
    return GC_OK;
}

static int load_notes(const char *label, const json_t *v, gc_expect *e, gc_error *err)
{
    if (v == NULL)
        return GC_OK;
    if (!json_is_array(v))
        return gc_error_set(err, GC_EPARSE, "%s: notes: expected an array of strings", label);
    e->notes = calloc(json_array_size(v) + 1, sizeof *e->notes);
    if (e->notes == NULL)
        return gc_error_set(err, GC_ENOMEM, "%s: notes: out of memory", label);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s))
            return gc_error_set(err, GC_EPARSE, "%s: notes[%zu]: expected a string", label, i);
        e->notes[i] = strdup(json_string_value(s));
        if (e->notes[i] == NULL)
            return gc_error_set(err, GC_ENOMEM, "%s: notes: out of memory", label);
        e->nnotes++;
    }
    return GC_OK;
}

/* The scalar members: tool, dtype, loss. */
static int load_head(const char *label, const json_t *root, gc_expect *e, gc_error *err)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)root, key, val) {
        if (!known_key(key))
            return gc_error_set(err, GC_EPARSE, "%s: %s: unknown key (expected tool, dtype, "
                                "loss, grad, notes)", label, key);
    }
    static const char *const required[] = {"tool", "dtype", "loss", "grad"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (json_object_get(root, required[i]) == NULL)
            return gc_error_set(err, GC_EPARSE, "%s: missing key \"%s\"", label, required[i]);
    const json_t *tool = json_object_get(root, "tool");
    const json_t *dtype = json_object_get(root, "dtype");
    const json_t *loss = json_object_get(root, "loss");
    if (!json_is_string(tool))
        return gc_error_set(err, GC_EPARSE, "%s: tool: expected a string", label);
    snprintf(e->tool, sizeof e->tool, "%s", json_string_value(tool));
    if (!json_is_string(dtype))
        return gc_error_set(err, GC_EPARSE, "%s: dtype: expected a string", label);
    if (strcmp(json_string_value(dtype), "float64") != 0)
        return gc_error_set(err, GC_EINVAL, "%s: dtype: expected \"float64\", got \"%.40s\" "
                            "(a float32 tool's rounding cannot be told from an error of the "
                            "same size: give its values computed in float64)", label,
                            json_string_value(dtype));
    if (!json_is_number(loss))
        return gc_error_set(err, GC_EPARSE, "%s: loss: expected a number", label);
    e->loss = json_number_value(loss);
    if (!isfinite(e->loss))
        return gc_error_set(err, GC_ERANGE, "%s: loss: expected a finite number", label);
    return GC_OK;
}

static int load_doc(const char *label, const json_t *root, gc_expect *e, gc_error *err)
{
    if (!json_is_object(root))
        return gc_error_set(err, GC_EPARSE, "%s: expected a JSON object", label);
    int rc = load_head(label, root, e, err);
    if (rc != GC_OK)
        return rc;
    const json_t *grad = json_object_get(root, "grad");
    if (!json_is_object(grad) || json_object_size(grad) == 0)
        return gc_error_set(err, GC_EPARSE, "%s: grad: expected an object of tensors", label);
    e->tensors = calloc(json_object_size(grad), sizeof *e->tensors);
    if (e->tensors == NULL)
        return gc_error_set(err, GC_ENOMEM, "%s: out of memory", label);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)grad, key, val) {
        rc = load_tensor(label, key, val, &e->tensors[e->ntensors], err);
        if (rc != GC_OK)
            return rc;
        e->ntensors++;
    }
    return load_notes(label, json_object_get(root, "notes"), e, err);
}

/* Duplicate keys are errors (jansson would keep the last silently); the
 * order is kept so that messages and reports follow the file. */
#define PARSE_FLAGS (JSON_REJECT_DUPLICATES)

static int finish(const char *label, json_t *root, const json_error_t *je, gc_expect **out,
                  gc_error *err)
{
    if (root == NULL) {
        if (je->line > 0)
            return gc_error_set(err, GC_EPARSE, "%s: line %d column %d: JSON syntax error: %s",
                                label, je->line, je->column, je->text);
        return gc_error_set(err, GC_EPARSE, "%s: JSON syntax error: %s", label, je->text);
    }
    gc_expect *e = calloc(1, sizeof *e);
    int rc = e == NULL ? gc_error_set(err, GC_ENOMEM, "%s: out of memory", label)
                       : load_doc(label, root, e, err);
    json_decref(root);
    if (rc != GC_OK) {
        gc_expect_free(e);
        return rc;
    }
    *out = e;
    return GC_OK;
}

int gc_expect_load(const char *path, gc_expect **out, gc_error *err)
{
    if (out == NULL || path == NULL)
        return gc_error_set(err, GC_EINVAL, "expect: no file name given");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gc_error_set(err, GC_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_error_t je;
    json_t *root = json_loadf(f, PARSE_FLAGS | JSON_DECODE_ANY, &je);
    int read_failed = ferror(f);
    int read_errno = errno;
    fclose(f);
    if (read_failed) {
        json_decref(root);
        return gc_error_set(err, GC_EIO, "%s: cannot read: %s", path,
                            strerror(read_errno != 0 ? read_errno : EIO));
    }
    return finish(path, root, &je, out, err);
}

int gc_expect_load_string(const char *text, const char *label, gc_expect **out,
                          gc_error *err)
{
    const char *lab = label != NULL ? label : "<string>";
    if (out == NULL || text == NULL)
        return gc_error_set(err, GC_EINVAL, "%s: no text given", lab);
    *out = NULL;
    json_error_t je;
    json_t *root = json_loads(text, PARSE_FLAGS | JSON_DECODE_ANY, &je);
    return finish(lab, root, &je, out, err);
}

const gc_expect_tensor *gc_expect_find(const gc_expect *e, const char *name)
{
    if (e == NULL || name == NULL)
        return NULL;
    for (int i = 0; i < e->ntensors; i++)
        if (strcmp(e->tensors[i].name, name) == 0)
            return &e->tensors[i];
    return NULL;
}

void gc_expect_free(gc_expect *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->ntensors; i++)
        free(e->tensors[i].grad);
    free(e->tensors);
    for (int i = 0; i < e->nnotes; i++)
        free(e->notes[i]);
    free(e->notes);
    free(e);
}
