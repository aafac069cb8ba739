// SPDX-License-Identifier: GPL-2.0
/* getopt_long() and the usage text, both from a command's table of options (options.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"

/* More than any command has; hp_parse() refuses a table that outgrows it. */
#define MAX_OPTIONS 32
/* getopt_long()'s value for options[i]: above every char, so that a short name is itself. */
#define LONG_ONLY(i) (0x100 + (i))

int hp_parse_flag(const char *cmd, const struct hp_option *opt, const char *text, void *field)
{
	*(bool *)field = true;
	return 0;
}

int hp_parse_count(const char *cmd, const struct hp_option *opt, const char *text, void *field)
{
	(*(int *)field)++;
	return 0;
}

int hp_parse_string(const char *cmd, const struct hp_option *opt, const char *text, void *field)
{
	*(const char **)field = text;
	return 0;
}

int hp_parse_positive(const char *cmd, const struct hp_option *opt, const char *text,
		      void *field)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n <= 0) {
		pr_warn("%s: --%s is not a positive number: `%s'", cmd, opt->name, text);
		return -1;
	}
	*(long *)field = n;
	return 0;
}

static int count_options(const struct hp_option *options)
{
	int n = 0;

	while (options && options[n].name)
		n++;
	return n;
}

void hp_synopsis(FILE *out, const struct hp_syntax *syn, bool short_names)
{
	for (const struct hp_option *o = syn->options; o && o->name; o++) {
		if (o->alone)
			continue;
		if (short_names && o->short_name)
			fprintf(out, " [-%c", o->short_name);
		else
			fprintf(out, " [--%s", o->name);
		fprintf(out, "%s%s]", o->metavar ? " " : "", o->metavar ? o->metavar : "");
	}
	for (const struct hp_operand *a = syn->operands; a && a->metavar; a++)
		fprintf(out, a->required ? " %s" : " [%s]", a->metavar);
}

void hp_option_lines(FILE *out, const struct hp_option *options)
{
	static const struct hp_option help = { .name = "help", .short_name = 'h',
					       .help = "print this text" };
	int width = 0, n = count_options(options);

	for (int i = 0; i < n; i++) {
		int w = strlen(options[i].name) + (options[i].metavar ? strlen(options[i].metavar) + 1 : 0);

		if (w > width)
			width = w;
	}
	for (int i = 0; i <= n; i++) {
		const struct hp_option *o = i < n ? &options[i] : &help;
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		if (o->short_name)
			fprintf(out, "  -%c, --%-*s  %s\n", o->short_name, width, name, o->help);
		else
			fprintf(out, "      --%-*s  %s\n", width, name, o->help);
	}
}

/* "monitor: " for a command's message, "" for hairpin's own options. */
static const char *who(const struct hp_syntax *syn, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", syn->command ? syn->command : "", syn->command ? ": " : "");
	return buf;
}

/* The usage line, into @buf: "hairpin monitor [--count N] [--buffer-size KIB]". */
static const char *usage_text(const struct hp_syntax *syn, char *buf, size_t size)
{
	FILE *out = fmemopen(buf, size, "w");

	buf[0] = '\0';
	if (!out)
		return buf;
	fprintf(out, "hairpin%s%s", syn->command ? " " : "", syn->command ? syn->command : "");
	hp_synopsis(out, syn, !syn->command);
	if (!syn->command)
		fprintf(out, " COMMAND [ARGS]");
	fclose(out);
	return buf;
}

/* The option getopt_long() returned @c for, or NULL (-h, --help). */
static const struct hp_option *option_of(const struct hp_syntax *syn, int c)
{
	int n = count_options(syn->options);

	for (int i = 0; i < n; i++)
		if (c == LONG_ONLY(i) || (syn->options[i].short_name && c == syn->options[i].short_name))
			return &syn->options[i];
	return NULL;
}

enum hp_parse_result hp_parse(const struct hp_syntax *syn, int argc, char **argv, void *args,
			      bool stop_at_operand, int *next)
{
	struct option longopts[MAX_OPTIONS + 2] = {};
	/* "+": stop at the first operand; ":": a missing argument returns ':', not '?' */
	char shortopts[3 + 2 * MAX_OPTIONS + 2] = "", *s = shortopts;
	int n = count_options(syn->options), c;
	char usage[512], cmd[64];

	if (n > MAX_OPTIONS) {
		pr_warn("%sthe table has %d options, more than %d", who(syn, cmd, sizeof(cmd)), n,
			MAX_OPTIONS);
		return HP_PARSE_ERROR;
	}
	if (stop_at_operand)
		*s++ = '+';
	*s++ = ':';
	for (int i = 0; i < n; i++) {
		const struct hp_option *o = &syn->options[i];

		longopts[i] = (struct option){ o->name, o->metavar ? required_argument : no_argument,
					       NULL, o->short_name ? o->short_name : LONG_ONLY(i) };
		if (o->short_name) {
			*s++ = o->short_name;
			if (o->metavar)
				*s++ = ':';
		}
	}
	longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	*s++ = 'h';

	/* 0, not 1: getopt_long() starts over (the dispatcher has parsed another argv). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct hp_option *o = option_of(syn, c == ':' || c == '?' ? optopt : c);
		char unknown[3] = { '-', optopt, '\0' };

		switch (c) {
		case 'h':
			return HP_PARSE_HELP;
		case '?':
			/* A known option: a flag given a value, "--json=yes". */
			if (o)
				pr_warn("%s--%s takes no value: `%s' (usage: %s)",
					who(syn, cmd, sizeof(cmd)), o->name, argv[optind - 1],
					usage_text(syn, usage, sizeof(usage)));
			/* optopt: the unknown short option; 0 for a long one, which is the word */
			else
				pr_warn("%sunknown option: `%s' (usage: %s)", who(syn, cmd, sizeof(cmd)),
					optopt ? unknown : argv[optind - 1],
					usage_text(syn, usage, sizeof(usage)));
			return HP_PARSE_ERROR;
		case ':':
			pr_warn("%s--%s needs %s (usage: %s)", who(syn, cmd, sizeof(cmd)),
				o ? o->name : "?", o ? o->metavar : "an argument",
				usage_text(syn, usage, sizeof(usage)));
			return HP_PARSE_ERROR;
		default:
			if (!o || o->parse(syn->command ? syn->command : "hairpin", o, optarg,
					   (char *)args + o->offset))
				return HP_PARSE_ERROR;
		}
	}
	if (stop_at_operand) {
		*next = optind;
		return HP_PARSE_OK;
	}
	for (const struct hp_operand *a = syn->operands; a && a->metavar; a++) {
		const char **field = (const char **)((char *)args + a->offset);

		if (optind < argc) {
			*field = argv[optind++];
		} else if (a->required) {
			pr_warn("%smissing %s (usage: %s)", who(syn, cmd, sizeof(cmd)), a->metavar,
				usage_text(syn, usage, sizeof(usage)));
			return HP_PARSE_ERROR;
		} else {
			*field = a->fallback;
		}
	}
	if (optind < argc) {
		pr_warn("%stoo many arguments: `%s' (usage: %s)", who(syn, cmd, sizeof(cmd)),
			argv[optind], usage_text(syn, usage, sizeof(usage)));
		return HP_PARSE_ERROR;
	}
	return HP_PARSE_OK;
}
