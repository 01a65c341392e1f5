/*
 * main.c -- process set-up, then the command line.
 *
 * umask 027: nothing payspool creates is readable by "other"; the key file
 * is created 0600 on top of that.
 */
#include <sys/stat.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    umask(027);
    return ps_cli_main(argc, argv);
}
