# A counted loop whose body branches (a 64-bit shift by a register is a runtime call,
# and its status is checked) is compiled once: a copy of a branch would miss its
# label. The entry's jump to the second copy then goes to the head.
mov %r2, 0
mov %r0, 1
l:
mov %r3, %r2
and %r3, 7
lsh %r0, %r3
add %r2, 1
jne %r2, 40, l
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#     0: mov %r2, 0
#           10  mov.w r8, #0
#     1: mov %r0, 1
#           14  movs r6, #1
#           16  movs r5, #0
#           18  cmp.w r8, #40
#           22  bhs.w #90
#           26  rsb.w r12, r8, #39
#           30  subs.w lr, lr, r12
#           34  bls.w #78
#           38  tst.w r12, #1
#           42  beq.w #0
#     2: mov %r3, %r2
#           46  and r4, r8, #7
#     3: and %r3, 7
#     4: lsh %r0, %r3
#           50  mov.w r12, #0
#           54  strd r6, r5, [r7]
#           58  strd r4, r12, [r7, #24]
#           62  str.w lr, [r7, #128]
#           66  movs r1, #4
#           68  mov r0, r7
#           70  ldr.w r12, [r7, #152]
#           74  blx r12
#           76  ldr.w lr, [r7, #128]
#           80  cmp r0, #0
#           82  bne.w #42
#           86  ldrd r6, r5, [r7]
#     5: add %r2, 1
#           90  add.w r8, r8, #1
#     6: jne %r2, 0x28, -5
#           94  cmp.w r8, #40
#           98  bne #-56
#     7: exit
#          100  strd r6, r5, [r7]
#          104  b.w #16
#          108  mov.w r0, #1
#          112  b.w #12
#          116  mov.w r0, #2
#          120  b.w #4
#          124  mov.w r0, #0
#          128  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
