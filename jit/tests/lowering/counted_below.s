# A loop counting below a limit (`jlt`, here on a copy of the counter made before its
# increment, as clang leaves Fletcher-32) pays its backward jumps at the entry: none
# when the first compared value is not below the limit, else one per value below it.
# Its body is compiled twice; an even count of jumps enters the second copy.
mov %r1, 0
mov %r0, 0
l:
mov %r4, %r1
add %r1, 2
ldxb %r3, [%r10-8]
add32 %r0, %r3
add32 %r0, %r4
jlt %r4, 2558, l
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #80]
#     0: mov %r1, 0
#           12  mov.w r9, #0
#     1: mov %r0, 0
#           16  mov.w r8, #0
#           20  movw r1, #2558
#           24  cmp r9, r1
#           26  bhs.w #42
#           30  movw r1, #2559
#           34  sub.w r12, r1, r9
#           38  lsr.w r12, r12, #1
#           42  subs.w lr, lr, r12
#           46  bls.w #64
#           50  tst.w r12, #1
#           54  beq.w #14
#     2: mov %r4, %r1
#           58  mov r6, r9
#     3: add %r1, 2
#           60  add.w r9, r9, #2
#     4: ldxb %r3, [%r10-8]
#           64  ldrb r5, [r4, #-8]
#     5: add32 %r0, %r3
#           68  add r8, r5
#     6: add32 %r0, %r4
#           70  add r8, r6
#           72  mov r6, r9
#           74  add.w r9, r9, #2
#           78  ldrb r5, [r4, #-8]
#           82  add r8, r5
#           84  add r8, r6
#     7: jlt %r4, 0x9fe, -6
#           86  movw r2, #2558
#           90  cmp r6, r2
#           92  blo #-38
#     8: exit
#           94  mov.w r12, #0
#           98  strd r8, r12, [r7]
#          102  b.w #16
#          106  mov.w r0, #1
#          110  b.w #12
#          114  mov.w r0, #2
#          118  b.w #4
#          122  mov.w r0, #0
#          126  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
