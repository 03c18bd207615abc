/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_TC_H
#define TLSFP_TC_H

struct tlsfp_loader;

int tlsfp_tc_attach(struct tlsfp_loader *l);
void tlsfp_tc_detach(struct tlsfp_loader *l);

#endif /* TLSFP_TC_H */
