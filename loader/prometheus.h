/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing Prometheus' text exposition format (version 0.0.4, what node_exporter's textfile
 * collector reads): "# HELP" and "# TYPE" once per metric family, before its samples; samples
 * as NAME{LABEL="VALUE",...} NUMBER, without timestamps. Label values and help texts are
 * escaped as the format says (\\, \" and \n in a label value; \\ and \n in a help text), and
 * always valid UTF-8 (the format's rule), whatever bytes a device's name holds.
 */
#ifndef HP_PROMETHEUS_H
#define HP_PROMETHEUS_H

#include <stdio.h>

/* "# HELP NAME HELP\n# TYPE NAME TYPE\n"; @type "counter" or "gauge". */
void prom_family(FILE *out, const char *name, const char *type, const char *help);

/* The labels of one sample, added one by one: prom_label(&l, "device", "lan0"). */
struct prom_labels {
	char text[512];
	size_t len;
	int n;
	int truncated;
};

void prom_label(struct prom_labels *labels, const char *name, const char *value);
void prom_label_u32(struct prom_labels *labels, const char *name, unsigned int value);

/* NAME{LABELS} VALUE; @labels NULL or empty: NAME VALUE. */
void prom_sample(FILE *out, const char *name, const struct prom_labels *labels,
		 unsigned long long value);

#endif
