# A loop entered at its body (bubble sort's inner loop): the jump in pays for every
# backward jump, one per pass through the head, where the counter steps and is tested
# against a register; both ways back (no swap, and after the swap) are plain branches.
mov %r1, 9
mov %r2, %r10
add %r2, -64
mov %r3, 1
mov %r4, %r2
ja b
h:
add %r4, 4
add %r3, 1
jlt %r3, %r1, b
ja out
b:
ldxw %r5, [%r4+0]
ldxw %r0, [%r4-4]
jle32 %r0, %r5, h
stxw [%r4+0], %r0
stxw [%r4-4], %r5
ja h
out:
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#     0: mov %r1, 9
#           10  mov.w r9, #9
#     1: mov %r2, %r10
#           14  ldr r1, [r7, #80]
#           16  sub.w r4, r1, #64
#     2: add %r2, -64
#     3: mov %r3, 1
#           20  mov.w r8, #1
#     4: mov %r4, %r2
#           24  mov r6, r4
#     5: ja +4
#           26  adds.w r12, r8, #1
#           30  bhs.w #16
#           34  cmp.w r12, r9
#           38  bhs.w #8
#           42  sub.w r12, r9, r12
#           46  b.w #4
#           50  mov.w r12, #0
#           54  add.w r12, r12, #1
#           58  subs.w lr, lr, r12
#           62  bls.w #60
#           66  b.w #18
#     6: add %r4, 4
#           70  add.w r6, r6, #4
#     7: add %r3, 1
#           74  add.w r8, r8, #1
#     8: jlt %r3, %r1, +1
#           78  cmp r8, r9
#           80  blo.w #4
#     9: ja +6
#           84  b.w #18
#    10: ldxw %r5, [%r4+0]
#           88  ldr r5, [r6]
#    11: ldxw %r0, [%r4-4]
#           90  ldr r4, [r6, #-4]
#    12: jle32 %r0, %r5, -7
#           94  cmp r4, r5
#           96  bls #-30
#    13: stxw [%r4+0], %r0
#           98  str r4, [r6]
#    14: stxw [%r4-4], %r5
#          100  str r5, [r6, #-4]
#    15: ja -10
#          104  b #-38
#    16: exit
#          106  mov.w r12, #0
#          110  strd r4, r12, [r7]
#          114  b.w #16
#          118  mov.w r0, #1
#          122  b.w #12
#          126  mov.w r0, #2
#          130  b.w #4
#          134  mov.w r0, #0
#          138  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
