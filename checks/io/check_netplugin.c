/*
 * check_netplugin.c -- {"type": "plugin"} layers in network files, through
 * the library (lib/io/netplugin.c): the library is found beside the file,
 * not in the current directory; the factory's parameters survive the draw
 * of omitted dense parameters; bad keys name their JSON path.
 *
 * The plugin is checks/plugins/libbroken.so (built by make check, found
 * beside GC_BIN as the CLI suites find it), which no test binary links: a
 * plugin of examples/ would define symbols this program also exports.
 */
#include <check.h>
#include <gradcheck.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"

static const char *plugin_so(char *buf, size_t size, const char *name)
{
    const char *bin = gc_bin();
    const char *slash = strrchr(bin, '/');
    int dirlen = slash != NULL ? (int)(slash - bin) : 1;
    snprintf(buf, size, "%.*s/checks/plugins/%s", dirlen, slash != NULL ? bin : ".", name);
    return buf;
}

/* dir/net.json naming "libs.so", a link in dir to libbroken.so (its scale
 * layer, s and c drawn U[-1, 1) in that order); a dense 2 -> 3 layer
 * without W and b before the plugin. */
static void write_net(const char *dir, char *net, size_t size)
{
    char so[512], link[300];
    snprintf(link, sizeof link, "%s/libs.so", dir);
    ck_assert_int_eq(symlink(plugin_so(so, sizeof so, "libbroken.so"), link), 0);
    snprintf(net, size, "%s/net.json", dir);
    spit(net, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 3},\n"
              "  {\"type\": \"plugin\", \"lib\": \"libs.so\", \"factory\": \"broken_offbyone_plugin\"}],\n"
              " \"loss\": \"mse\", \"x\": [[0.5, -0.3]], \"y\": [[1, 0, 2]]}\n");
}

START_TEST(test_netplugin_beside_file)
{
    char dir[256], net[300];
    tmpdir_make(dir, sizeof dir);
    write_net(dir, net, sizeof net);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7, 1);
    gc_error err = {0, {0}};
    gc_net *n = gc_net_load(net, GC_INIT_UNIFORM, &rng, &err);
    ck_assert_msg(n != NULL, "%s", err.msg);
    ck_assert_int_eq(n->nlayers, 2);
    ck_assert_str_eq(n->layers[1]->ops->type, "broken_scale");
    ck_assert_ptr_nonnull(n->layers[1]->dl);
    /* the factory drew s and c first (the dense layer draws nothing while
     * it is parsed); the dense W and b, omitted, were drawn after without
     * touching them */
    gc_pcg32 fresh;
    gc_pcg32_seed(&fresh, 7, 1);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 3; i++) {
            double want = 2.0 * gc_pcg32_uniform(&fresh) - 1.0;
            ck_assert_msg(n->layers[1]->param[p].value[i] == want,
                          "%s[%d]: %g, the factory gave %g", n->layers[1]->param[p].name, i,
                          n->layers[1]->param[p].value[i], want);
        }
    gc_net_free(n);
    /* the same text from a string: "libs.so" is then looked for in the
     * current directory, where it is not */
    char *text = slurp(net, NULL);
    gc_pcg32_seed(&rng, 7, 1);
    n = gc_net_load_string(text, "s.json", GC_INIT_UNIFORM, &rng, &err);
    free(text);
    ck_assert_ptr_null(n);
    ck_assert_int_eq(err.code, GC_EIO);
    ck_assert_msg(strncmp(err.msg, "s.json: layers[1]: ", 19) == 0, "%s", err.msg);
    tmpdir_remove(dir);
}
END_TEST

typedef struct bad_plugin {
    const char *layer; /* the layer object */
    const char *expect;
} bad_plugin;

static const bad_plugin bad_plugins[] = {
    {"{\"type\": \"plugin\", \"factory\": \"f\"}", "t.json: layers[0].lib: missing key"},
    {"{\"type\": \"plugin\", \"lib\": \"\", \"factory\": \"f\"}",
     "t.json: layers[0].lib: expected a non-empty string"},
    {"{\"type\": \"plugin\", \"lib\": \"x.so\"}", "t.json: layers[0].factory: missing key"},
    {"{\"type\": \"plugin\", \"lib\": \"x.so\", \"factory\": \"f\", \"in\": 3}",
     "t.json: layers[0].in: expected 2 (the width reaching it), got 3"},
    {"{\"type\": \"plugin\", \"lib\": \"x.so\", \"factory\": \"f\", \"out\": 0}",
     "t.json: layers[0].out: expected an integer in 1..1000000"},
    {"{\"type\": \"plugin\", \"lib\": \"x.so\", \"factory\": \"f\", \"T\": [1]}",
     "t.json: layers[0].T: expected a number"},
    {"{\"type\": \"plugin\", \"lib\": \"x.so\", \"factory\": \"f\", \"a-b\": 1}",
     "t.json: layers[0].a-b: not a hyper-parameter name"},
};

START_TEST(test_netplugin_bad_keys)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"layers\": [%s], \"loss\": \"mse\", \"x\": [[1, 2]], \"y\": [[1, 2]]}",
             bad_plugins[_i].layer);
    gc_error err = {0, {0}};
    gc_net *n = gc_net_load_string(text, "t.json", GC_INIT_UNIFORM, NULL, &err);
    ck_assert_ptr_null(n);
    ck_assert_msg(strstr(err.msg, bad_plugins[_i].expect) == err.msg, "'%s' does not start '%s'",
                  err.msg, bad_plugins[_i].expect);
}
END_TEST

Suite *make_netplugin_suite(void)
{
    Suite *s = suite_create("netplugin");
    TCase *tc = tcase_create("netplugin");
    tcase_add_test(tc, test_netplugin_beside_file);
    tcase_add_loop_test(tc, test_netplugin_bad_keys, 0,
                        (int)(sizeof bad_plugins / sizeof bad_plugins[0]));
    suite_add_tcase(s, tc);
    return s;
}
