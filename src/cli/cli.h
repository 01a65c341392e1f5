/*
 * cli.h -- the payspool command line.  cli.c and main.c are the only code
 * that prints to stdout or decides the exit status.
 */
#ifndef PS_CLI_H
#define PS_CLI_H

/* Run one command; returns a sysexits(3) status. */
int ps_cli_main(int argc, char **argv);

#endif /* PS_CLI_H */
