/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A command's options and operands, declared once beside the command (as xdp-tools' params.h
 * does): one table drives both getopt_long() and the usage text, so that `hairpin COMMAND
 * --help' can never list an option the parser does not take, nor miss one it does.
 *
 * A command fills a struct of its own (its "args"): each option and operand names a field of
 * it, whose type the HP_OPT_* macros check at compile time. What is not given stays zero (or
 * an operand's default), and -h/--help is every command's without being declared.
 */
#ifndef HP_OPTIONS_H
#define HP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct hp_option;

/*
 * Stores @text (NULL for an option without argument) into @field; 0, or -1 after saying why,
 * as "CMD: --NAME ...: `TEXT'".
 */
typedef int (*hp_option_parse)(const char *cmd, const struct hp_option *opt, const char *text,
			       void *field);

struct hp_option {
	const char *name;	/* --NAME */
	char short_name;	/* -C, or 0 */
	const char *metavar;	/* the argument's name in the usage ("N"); NULL: none taken */
	const char *help;	/* one line for the usage */
	size_t offset;		/* of its field in the command's args */
	hp_option_parse parse;
	bool alone;		/* acts alone (--version): not in the synopsis */
};

/* The command line's words after the options. */
struct hp_operand {
	const char *metavar;	/* "CONFIG", "all|ADDRESS" */
	size_t offset;		/* of its field, a const char *, in the command's args */
	bool required;
	const char *fallback;	/* an optional operand's value when not given (or NULL) */
};

int hp_parse_flag(const char *cmd, const struct hp_option *opt, const char *text, void *field);
/* Counts how often the option is given (-vv: 2), in an int. */
int hp_parse_count(const char *cmd, const struct hp_option *opt, const char *text, void *field);
int hp_parse_string(const char *cmd, const struct hp_option *opt, const char *text, void *field);
int hp_parse_positive(const char *cmd, const struct hp_option *opt, const char *text,
		      void *field);

/* offsetof(type, field), which must be of type ftype. */
#define HP_FIELD(type, field, ftype)                                                       \
	(offsetof(type, field) +                                                           \
	 0 * sizeof(struct {                                                               \
		 _Static_assert(__builtin_types_compatible_p(__typeof__(((type *)0)->field),  \
							     ftype),                          \
				"field " #field " of " #type " is not " #ftype);             \
		 int unused;                                                               \
	 }))

/* --NAME (-SHORT): sets a bool. */
#define HP_OPT_FLAG(_name, _short, _type, _field, _help)                                   \
	{ .name = _name, .short_name = _short, .help = _help,                               \
	  .offset = HP_FIELD(_type, _field, bool), .parse = hp_parse_flag }
/* --NAME (-SHORT), which may be given again: counts into an int. */
#define HP_OPT_COUNT(_name, _short, _type, _field, _help)                                  \
	{ .name = _name, .short_name = _short, .help = _help,                               \
	  .offset = HP_FIELD(_type, _field, int), .parse = hp_parse_count }
/* --NAME METAVAR: keeps the text, a const char *. */
#define HP_OPT_STRING(_name, _short, _metavar, _type, _field, _help)                       \
	{ .name = _name, .short_name = _short, .metavar = _metavar, .help = _help,          \
	  .offset = HP_FIELD(_type, _field, const char *), .parse = hp_parse_string }
/* --NAME N: a number above 0, a long. */
#define HP_OPT_POSITIVE(_name, _short, _metavar, _type, _field, _help)                     \
	{ .name = _name, .short_name = _short, .metavar = _metavar, .help = _help,          \
	  .offset = HP_FIELD(_type, _field, long), .parse = hp_parse_positive }
/* --NAME METAVAR read by the command's own @_parse, into a field of type _ftype. */
#define HP_OPT_CUSTOM(_name, _short, _metavar, _type, _field, _ftype, _parse, _help)       \
	{ .name = _name, .short_name = _short, .metavar = _metavar, .help = _help,          \
	  .offset = HP_FIELD(_type, _field, _ftype), .parse = _parse }
/* An operand, a const char *; @_fallback when an optional one is not given. */
#define HP_OPERAND(_metavar, _type, _field, _required, _fallback)                          \
	{ .metavar = _metavar, .offset = HP_FIELD(_type, _field, const char *),             \
	  .required = _required, .fallback = _fallback }

enum hp_parse_result { HP_PARSE_OK, HP_PARSE_HELP, HP_PARSE_ERROR };

/* What a command line is parsed by. */
struct hp_syntax {
	const char *command;	/* "status"; NULL: hairpin's own options, before the command */
	const struct hp_option *options;	/* ends with {}; NULL: none */
	const struct hp_operand *operands;	/* ends with {}; NULL: none */
};

/*
 * Parses @argv (from argv[1]) by @syn into @args. stop_at_operand: the options end at the
 * first operand, which with all that follows is left to the caller (*next is its index),
 * else options and operands may mix, as getopt_long() permutes them, and `--' ends the
 * options. HP_PARSE_HELP when -h or --help was given (nothing after it is parsed);
 * HP_PARSE_ERROR (a usage error) after saying what, with the usage line.
 */
enum hp_parse_result hp_parse(const struct hp_syntax *syn, int argc, char **argv, void *args,
			      bool stop_at_operand, int *next);

/*
 * " [--count N] [--buffer-size KIB] [CONFIG]": each option but those that act alone, then the
 * operands. short_names: "-v" for an option that has a short name ("[-v] [--pin-dir DIR]").
 */
void hp_synopsis(FILE *out, const struct hp_syntax *syn, bool short_names);
/* One line per option, then -h/--help: "  -c, --count N   end after N lines". */
void hp_option_lines(FILE *out, const struct hp_option *options);

#endif
