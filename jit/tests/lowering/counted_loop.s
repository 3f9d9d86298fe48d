# A counted loop (clang's rotated latch `jeq +1; ja head`) pays its backward jumps at
# the entry: the latch is cmp; bne with no budget tick.
mov %r2, 0
mov %r0, 0
stxdw [%r10-8], %r0
l:
ldxb %r3, [%r10-8]
add32 %r0, %r3
mod32 %r0, 255
add %r2, 1
jeq %r2, 2560, +1
ja l
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #80]
#           12  movs r5, #255
#     0: mov %r2, 0
#           14  mov.w r9, #0
#     1: mov %r0, 0
#           18  mov.w r8, #0
#     2: stxdw [%r10-8], %r0
#           22  str r8, [r4, #-8]
#           26  movs r3, #0
#           28  str r3, [r4, #-4]
#           32  cmp.w r9, #2560
#           36  bhs.w #86
#           40  movw r12, #2559
#           44  sub.w r12, r12, r9
#           48  subs.w lr, lr, r12
#           52  bls.w #70
#           56  tst.w r12, #1
#           60  beq.w #18
#     3: ldxb %r3, [%r10-8]
#           64  ldrb r6, [r4, #-8]
#     4: add32 %r0, %r3
#           68  add r8, r6
#     5: mod32 %r0, 0xff
#           70  usub16 r12, r8, r5
#           74  sel r8, r12, r8
#     6: add %r2, 1
#           78  add.w r9, r9, #1
#           82  ldrb r6, [r4, #-8]
#           86  add r8, r6
#           88  usub16 r12, r8, r5
#           92  sel r8, r12, r8
#           96  add.w r9, r9, #1
#     7: jeq %r2, 0xa00, +1
#          100  cmp.w r9, #2560
#          104  bne #-44
#     8: ja -6
#     9: exit
#          106  mov.w r12, #0
#          110  strd r8, r12, [r7]
#          114  b.w #16
#          118  mov.w r0, #1
#          122  b.w #12
#          126  mov.w r0, #2
#          130  b.w #4
#          134  mov.w r0, #0
#          138  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
