# A counter kept in a frame slot between iterations (clang's spill when registers run
# out, as in SHA-256's rounds): its register holds another value first, then the
# counter loaded from the slot, stepped, stored back and compared. The entry reads the
# slot, refuses a 64-bit counter at 2^32 or past (it would run through 2^64) and pays
# for every backward jump; the latch is a compare and a branch. The slot's high word,
# zero, is not written again.
mov %r2, 0
stxdw [%r10-16], %r2
l:
mov32 %r2, %r4
stxw [%r10-24], %r2
ldxdw %r2, [%r10-16]
add %r4, %r2
ldxw %r3, [%r10-24]
add32 %r0, %r3
add %r2, 4
stxdw [%r10-16], %r2
jeq %r2, 256, +1
ja l
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r5, [r7]
#           12  ldrd r10, r8, [r7, #32]
#           16  ldr r4, [r7, #80]
#     0: mov %r2, 0
#           18  movs r6, #0
#     1: stxdw [%r10-16], %r2
#           20  str r6, [r4, #-16]
#           24  movs r3, #0
#           26  str r3, [r4, #-12]
#           30  ldr r1, [r4, #-12]
#           34  cmp r1, #0
#           36  bne.w #130
#           40  ldr r0, [r4, #-16]
#           44  cmp.w r0, #256
#           48  bhs.w #118
#           52  rsb.w r12, r0, #252
#           56  tst.w r12, #3
#           60  bne.w #106
#           64  lsr.w r12, r12, #2
#           68  subs.w lr, lr, r12
#           72  bls.w #94
#           76  tst.w r12, #1
#           80  beq.w #30
#     2: mov32 %r2, %r4
#     3: stxw [%r10-24], %r2
#           84  str r10, [r4, #-24]
#     4: ldxdw %r2, [%r10-16]
#           88  ldr r9, [r4, #-16]
#     5: add %r4, %r2
#           92  adds.w r10, r10, r9
#           96  adc r8, r8, #0
#     6: ldxw %r3, [%r10-24]
#          100  ldr r6, [r4, #-24]
#     7: add32 %r0, %r3
#          104  add r5, r6
#     8: add %r2, 4
#          106  add.w r9, r9, #4
#     9: stxdw [%r10-16], %r2
#          110  str r9, [r4, #-16]
#          114  str r10, [r4, #-24]
#          118  ldr r9, [r4, #-16]
#          122  adds.w r10, r10, r9
#          126  adc r8, r8, #0
#          130  ldr r6, [r4, #-24]
#          134  add r5, r6
#          136  add.w r9, r9, #4
#          140  str r9, [r4, #-16]
#    10: jeq %r2, 0x100, +1
#          144  cmp.w r9, #256
#          148  bne #-68
#    11: ja -10
#    12: exit
#          150  mov.w r12, #0
#          154  strd r5, r12, [r7]
#          158  b.w #16
#          162  mov.w r0, #1
#          166  b.w #12
#          170  mov.w r0, #2
#          174  b.w #4
#          178  mov.w r0, #0
#          182  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
