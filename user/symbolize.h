/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names a lock's address: the ELF data symbol (.symtab, else .dynsym) of the program or library
 * it lies in, read with libelf. Pure but for reading the ELF file.
 */
#ifndef CONCPROF_SYMBOLIZE_H
#define CONCPROF_SYMBOLIZE_H

#include <stdint.h>

#include "model.h"

/*
 * The address in the ELF file's own virtual addresses. For CP_LOCK_EXE, `offset` is the
 * address minus the process's start_code (the lowest executable segment, as loaded); for
 * CP_LOCK_FILE, the offset in the file. Returns 0, or -errno / -ENOENT if not found.
 */
int cp_elf_vaddr(const char *path, uint8_t kind, uint64_t offset, uint64_t *vaddr);
/* The symbol containing vaddr: *name (malloc'd) and *sym_offset. 0, or -ENOENT / -errno. */
int cp_elf_symbol(const char *path, uint64_t vaddr, char **name, uint64_t *sym_offset);
/* Both, for a lock: fills l->symbol, l->symbol_offset and l->gil where it can. */
void cp_symbolize_lock(struct cp_lock *l, uint64_t offset);

#endif
