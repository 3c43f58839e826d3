/*
 * signals.c -- SIGINT, SIGTERM and SIGHUP end the command cleanly: the
 * --output temporary file is removed (the old report stays as it was), a
 * plugin's child is killed, and the status is 128 + the signal's number.
 * The handler touches only what it may (unlink, kill, _exit are
 * async-signal-safe) and reads what output.c and contain.c publish.
 */
#include "cli.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char *volatile tmp_path;
static volatile pid_t child_pid;

static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig)
{
    const char *p = tmp_path;
    if (p != NULL)
        unlink(p);
    if (child_pid > 0)
        kill(child_pid, SIGKILL);
    _exit(128 + sig);
}

void cli_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(&sa.sa_mask, caught[i]);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaction(caught[i], &sa, NULL);
}

void cli_signal_tmp(const char *path)
{
    tmp_path = path;
}

void cli_signal_child(pid_t pid)
{
    child_pid = pid;
}

void cli_signal_reset(void)
{
    tmp_path = NULL;
    child_pid = 0;
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        signal(caught[i], SIG_DFL);
}
