/* Found before wasi-libc's <setjmp.h>, which is an #error without wasm exception handling.
 *
 * upb includes <setjmp.h> for the jmp_buf in its decoders and def builder. Built with
 * -DWASM_WAMR, upb never calls setjmp (UPB_SETJMP is 0) and aborts where it would longjmp, so
 * the type is all it needs: the same layout as wasi-libc's, and no functions. */
#ifndef PROTOWASM_SETJMP_H
#define PROTOWASM_SETJMP_H

typedef struct protowasm_jmp_buf_tag {
  unsigned long __jb[8];
  unsigned long __fl;
  unsigned long __ss[128 / sizeof(long)];
} jmp_buf[1];

#endif
