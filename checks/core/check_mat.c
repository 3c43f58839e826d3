/*
 * check_mat.c -- gc_mat: construction, refusal of empty shapes, row-major
 * layout, copy semantics and shape errors.
 */
#include <check.h>
#include <gradcheck.h>

START_TEST(test_mat_new_is_zero_filled_row_major)
{
    gc_mat *m = gc_mat_new(2, 3);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->rows, 2);
    ck_assert_int_eq(m->cols, 3);
    ck_assert_uint_eq(gc_mat_size(m), 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(m->data[i] == 0.0, "data[%zu] = %g, want 0", i, m->data[i]);
    /* Row-major: (r, c) of a 2 x 3 matrix is data[r * 3 + c]. */
    GC_AT(m, 1, 2) = 7.0;
    GC_AT(m, 0, 1) = 5.0;
    ck_assert(m->data[5] == 7.0);
    ck_assert(m->data[1] == 5.0);
    gc_mat_free(m);
}
END_TEST

START_TEST(test_mat_new_refuses_empty_shapes)
{
    ck_assert_ptr_null(gc_mat_new(0, 3));
    ck_assert_ptr_null(gc_mat_new(3, 0));
    ck_assert_ptr_null(gc_mat_new(-1, 2));
    gc_mat_free(NULL); /* a no-op */
    ck_assert_ptr_null(gc_mat_dup(NULL));
}
END_TEST

START_TEST(test_mat_dup_copy_fill)
{
    gc_mat *a = gc_mat_new(2, 2);
    for (int i = 0; i < 4; i++)
        a->data[i] = i + 0.5;
    gc_mat *b = gc_mat_dup(a);
    ck_assert_ptr_nonnull(b);
    a->data[0] = -1.0; /* the copy is independent */
    ck_assert(b->data[0] == 0.5);
    ck_assert(b->data[3] == 3.5);
    ck_assert_int_eq(gc_mat_copy(b, a), GC_OK);
    ck_assert(b->data[0] == -1.0);
    gc_mat_fill(b, 2.25);
    for (int i = 0; i < 4; i++)
        ck_assert(b->data[i] == 2.25);
    gc_mat *c = gc_mat_new(4, 1); /* same size, other shape */
    ck_assert_int_eq(gc_mat_copy(c, a), GC_ESHAPE);
    ck_assert(c->data[0] == 0.0); /* untouched on error */
    ck_assert_int_eq(gc_mat_copy(NULL, a), GC_EINVAL);
    gc_mat_free(a);
    gc_mat_free(b);
    gc_mat_free(c);
}
END_TEST

/* mat.h states what NULL does for every function: gc_mat_size(NULL) is 0
 * and gc_mat_fill(NULL, v) a no-op (both dereferenced NULL before). */
START_TEST(test_mat_null_contracts)
{
    ck_assert_uint_eq(gc_mat_size(NULL), 0);
    gc_mat_fill(NULL, 1.0);
    gc_mat_free(NULL);
    ck_assert_ptr_null(gc_mat_dup(NULL));
    gc_mat *m = gc_mat_new(2, 3);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(gc_mat_copy(m, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_mat_copy(NULL, m), GC_EINVAL);
    ck_assert_uint_eq(gc_mat_size(m), 6);
    gc_mat_free(m);
}
END_TEST

Suite *make_mat_suite(void)
{
    Suite *s = suite_create("mat");
    TCase *tc = tcase_create("mat");
    tcase_add_test(tc, test_mat_new_is_zero_filled_row_major);
    tcase_add_test(tc, test_mat_new_refuses_empty_shapes);
    tcase_add_test(tc, test_mat_dup_copy_fill);
    tcase_add_test(tc, test_mat_null_contracts);
    suite_add_tcase(s, tc);
    return s;
}
