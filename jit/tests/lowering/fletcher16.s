# Fletcher-16, µBPF's reference kernel: the loop's byte load is proven inside the
# input; the sums stay below 510 (a remainder's threshold), so the two `% 255` are a
# halfword subtraction and a select each, not divides.
# program: programs/asm/fletcher16.s
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r5, [r7, #8]
#           12  ldr r6, [r7, #16]
#           14  movs r4, #255
#     0: mov %r3, 0
#           16  mov.w r11, #0
#     1: mov %r4, 0
#           20  mov.w r10, #0
#     2: mov %r5, %r1
#           24  mov r9, r5
#           26  mov.w r8, #0
#     3: add %r2, %r1
#           30  adds.w r6, r6, r5
#           34  mov.w r12, #0
#           38  adc r1, r12, #0
#           42  str r1, [r7, #20]
#     4: jge %r5, %r2, +7
#           44  ldr r3, [r7, #20]
#           46  cmp r9, r6
#           48  sbcs.w r12, r8, r3
#           52  bhs.w #64
#     5: ldxb %r6, [%r5+0]
#           56  cmp.w r8, #0
#           60  bne.w #102
#           64  ldrd r12, r3, [r7, #172]
#           68  sub.w r12, r9, r12
#           72  cmp r12, r3
#           74  bhs.w #88
#           78  ldrb.w r5, [r9]
#     6: add %r3, %r6
#           82  add r11, r5
#     7: mod %r3, 255
#           84  usub16 r12, r11, r4
#           88  sel r11, r12, r11
#     8: add %r4, %r3
#           92  add r10, r11
#     9: mod %r4, 255
#           94  usub16 r12, r10, r4
#           98  sel r10, r12, r10
#    10: add %r5, 1
#          102  adds.w r9, r9, #1
#          106  adc r8, r8, #0
#    11: ja -8
#          110  subs.w lr, lr, #1
#          114  beq.w #32
#          118  b #-78
#    12: lsh %r4, 8
#          120  lsl.w r10, r10, #8
#    13: or %r4, %r3
#          124  orr.w r10, r10, r11
#    14: mov %r0, %r4
#          128  mov r5, r10
#    15: exit
#          130  mov.w r12, #0
#          134  strd r5, r12, [r7]
#          138  b.w #16
#          142  mov.w r0, #1
#          146  b.w #12
#          150  mov.w r0, #2
#          154  b.w #4
#          158  mov.w r0, #0
#          162  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          166  mov r1, r9
#          168  mov r2, r8
#          170  movw r3, #1281
#          174  str.w lr, [r7, #128]
#          178  bl #2
#          182  b #-108
#          184  push.w {r3, lr}
#          188  mov r0, r7
#          190  ldr.w r12, [r7, #144]
#          194  blx r12
#          196  pop.w {r3, r12}
#          200  ldr.w lr, [r7, #128]
#          204  cmp r0, #0
#          206  beq #-68
#          208  bx r12
