/*
 * check_jsonfast.c -- the network-file loader's fast JSON reader
 * (gc_json_load_fast, lib/netfile.c) against jansson's json_loadb.
 *
 * The reader may decline any text (NULL: json_loadb then decides), but a
 * tree it returns must be the very tree json_loadb returns: same types,
 * same order of keys, same strings, integers equal and reals equal bit for
 * bit.  Checked on number spellings at the edges of the grammar and of
 * strtod/strtoll, on strings and nesting it must decline, and on every
 * one-byte corruption and every prefix of a small network file.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "internal.h"

/* 1 when a and b are the same tree; reals compared by their bits. */
static int same_tree(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia != NULL && ib != NULL;
             ia = json_object_iter_next((json_t *)a, ia), ib = json_object_iter_next((json_t *)b, ib))
            if (strcmp(json_object_iter_key(ia), json_object_iter_key(ib)) != 0 ||
                !same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
                return 0;
        return ia == NULL && ib == NULL;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_tree(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return 1; /* true, false, null */
    }
}

/* Compare the readers on text; returns 1 when the fast one accepted it. */
static int compare(const char *text, size_t len)
{
    json_error_t je;
    json_t *slow = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    json_t *fast = gc_json_load_fast(text, len);
    if (fast != NULL) {
        ck_assert_msg(slow != NULL, "fast reader accepted what jansson refuses (%s): %.*s",
                      je.text, (int)len, text);
        ck_assert_msg(same_tree(fast, slow), "trees differ for: %.*s", (int)len, text);
    }
    int accepted = fast != NULL;
    json_decref(fast);
    json_decref(slow);
    return accepted;
}

static int compare_str(const char *text)
{
    return compare(text, strlen(text));
}

START_TEST(test_jsonfast_numbers)
{
    /* accepted: the grammar's forms, -0 (an integer, as jansson reads it),
     * reals at the ends of the double range, subnormals and underflow to 0
     * (jansson accepts strtod's ERANGE there), the largest integers */
    static const char *const ok[] = {
        "[0]", "[-0]", "[-0.0]", "[0.5]", "[1e5]", "[1E+5]", "[2e-3]", "[-12.5e2]",
        "[0.017376290854641607]", "[1.7976931348623157e308]", "[2.2250738585072014e-308]",
        "[4.9406564584124654e-324]", "[1e-400]", "[-1e-400]", "[9223372036854775807]",
        "[-9223372036854775808]", "[0.1, 0.2, 0.30000000000000004]", "[1.0]",
        "[123456789012345678]", " [ 1 , 2 ] ", "\t\r\n[1]\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        ck_assert_msg(compare_str(ok[i]), "fast reader declined %s", ok[i]);
    /* declined: overflow (jansson: an error), tokens it does not take (a
     * 70-digit real is left to jansson), malformed numbers */
    static const char *const no[] = {
        "[1e400]", "[-1e400]", "[9223372036854775808]", "[-9223372036854775809]",
        "[0.1234567890123456789012345678901234567890123456789012345678901234567890]",
        "[01]", "[-]", "[1.]", "[.5]", "[1e]", "[1e+]", "[+1]", "[1.5x]", "[0x10]",
        "[-a]", "[1 2]",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        ck_assert_msg(!compare_str(no[i]), "fast reader accepted %s", no[i]);
}
END_TEST

START_TEST(test_jsonfast_structure)
{
    static const char *const ok[] = {
        "{}", "[]", "{\"a\": {\"b\": [true, false, null]}}", "[\"x\", \"a b\", \"\"]",
        "{\"z\": 1, \"a\": 2, \"m\": 3}", "[[[]], {}]",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        ck_assert_msg(compare_str(ok[i]), "fast reader declined %s", ok[i]);
    /* declined: escapes and non-ASCII (jansson decodes and validates them),
     * duplicate keys (an error with JSON_REJECT_DUPLICATES), a scalar at the
     * top, trailing text or commas, truex, a NUL byte */
    static const char *const no[] = {
        "[\"a\\nb\"]", "[\"\\u00e9\"]", "[\"\xc3\xa9\"]", "{\"a\": 1, \"a\": 2}", "1", "\"s\"",
        "[1] x", "[1,]", "{\"a\": 1,}", "[truex]", "[nul]", "{a: 1}", "{\"a\" 1}", "[1}",
        "", "   ",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        ck_assert_msg(!compare_str(no[i]), "fast reader accepted %s", no[i]);
    ck_assert(!compare("[1,\0 2]", 7));
    /* nesting deeper than the reader's limit is left to jansson */
    char deep[300];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    ck_assert(!compare_str(deep));
    memset(deep, '[', 20);
    memset(deep + 20, ']', 20);
    deep[40] = '\0';
    ck_assert(compare_str(deep));
}
END_TEST

/* A network file as the loader reads it. */
static const char GOOD[] =
    "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 2,\n"
    "  \"W\": [[0.5, -1.25e-3], [3, -0.0]], \"b\": [1E2, 0]},\n"
    " {\"type\": \"sigmoid\"}, {\"type\": \"leaky_relu\", \"alpha\": 0.02}],\n"
    " \"loss\": \"mse\", \"x\": [[1, 2], [-3.5, 4e-1]], \"y\": [[0.25, 0.75], [1, 0]]}\n";

START_TEST(test_jsonfast_corruptions)
{
    char doc[sizeof GOOD];
    size_t n = strlen(GOOD);
    ck_assert(compare(GOOD, n));
    for (size_t len = 0; len < n; len++)
        compare(GOOD, len);
    static const char subst[] = {'x', '9', '-', '"', ']', '}', ',', ' ', '0', '.', 'e', '\\', '[', '{', ':'};
    int accepted = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t s = 0; s < sizeof subst; s++) {
            memcpy(doc, GOOD, sizeof GOOD);
            doc[i] = subst[s];
            accepted += compare(doc, n);
        }
    /* many substitutions keep a valid document (a digit for a digit, a
     * space for a space): the comparison above ran on those */
    ck_assert_msg(accepted > 100, "only %d corrupted documents accepted", accepted);
}
END_TEST

Suite *make_jsonfast_suite(void)
{
    Suite *s = suite_create("jsonfast");
    TCase *tc = tcase_create("jsonfast");
    tcase_add_test(tc, test_jsonfast_numbers);
    tcase_add_test(tc, test_jsonfast_structure);
    tcase_add_test(tc, test_jsonfast_corruptions);
    suite_add_tcase(s, tc);
    return s;
}
