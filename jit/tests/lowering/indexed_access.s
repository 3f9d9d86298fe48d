# Array elements through `d = base + i` read or written once, `d` read by nothing after:
# the add of the index, the constants in the access's displacement. A byte copied
# between frame arrays, a word stored into one and read back at another offset; the
# pointer kept for a second access is computed whole.
ldxw %r2, [%r1+0]
and %r2, 0x3c
mov %r3, %r10
add %r3, -200
add %r3, %r2
ldxb %r3, [%r3+64]
mov %r4, %r10
add %r4, -96
add %r4, %r2
stxb [%r4+0], %r3
mov %r5, %r10
add %r5, -160
add %r5, %r2
stxw [%r5+4], %r2
mov %r0, %r10
add %r0, -160
add %r0, %r2
ldxw %r0, [%r0+4]
mov %r6, %r10
add %r6, -64
add %r6, %r2
stxb [%r6+0], %r3
ldxb %r7, [%r6+1]
add %r0, %r7
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #80]
#     0: ldxw %r2, [%r1+0]
#           12  ldr r0, [r7, #8]
#           14  ldrd r12, r3, [r7, #188]
#           18  sub.w r12, r0, r12
#           22  cmp r12, r3
#           24  bhs.w #96
#           28  ldr.w r10, [r0]
#     1: and %r2, 60
#           32  and r10, r10, #60
#     2: mov %r3, %r10
#           36  add.w r12, r4, r10
#           40  ldrb r9, [r12, #-136]
#     3: add %r3, -200
#     4: add %r3, %r2
#     5: ldxb %r3, [%r3+64]
#     6: mov %r4, %r10
#           44  add.w r12, r4, r10
#           48  strb r9, [r12, #-96]
#     7: add %r4, -96
#     8: add %r4, %r2
#     9: stxb [%r4+0], %r3
#    10: mov %r5, %r10
#           52  add.w r12, r4, r10
#           56  str r10, [r12, #-156]
#    11: add %r5, -160
#    12: add %r5, %r2
#    13: stxw [%r5+4], %r2
#    14: mov %r0, %r10
#           60  add.w r12, r4, r10
#           64  ldr r8, [r12, #-156]
#    15: add %r0, -160
#    16: add %r0, %r2
#    17: ldxw %r0, [%r0+4]
#    18: mov %r6, %r10
#           68  sub.w r6, r4, #64
#    19: add %r6, -64
#    20: add %r6, %r2
#           72  add r6, r10
#    21: stxb [%r6+0], %r3
#           74  strb.w r9, [r6]
#    22: ldxb %r7, [%r6+1]
#           78  ldrb r5, [r6, #1]
#    23: add %r0, %r7
#           80  adds.w r8, r8, r5
#           84  mov.w r12, #0
#           88  adc r6, r12, #0
#    24: exit
#           92  strd r8, r6, [r7]
#           96  b.w #16
#          100  mov.w r0, #1
#          104  b.w #12
#          108  mov.w r0, #2
#          112  b.w #4
#          116  mov.w r0, #0
#          120  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          124  ldr r1, [r7, #8]
#          126  movs r2, #0
#          128  movs r3, #4
#          130  str.w lr, [r7, #128]
#          134  bl #2
#          138  b #-114
#          140  push.w {r3, lr}
#          144  mov r0, r7
#          146  ldr.w r12, [r7, #144]
#          150  blx r12
#          152  pop.w {r3, r12}
#          156  ldr.w lr, [r7, #128]
#          160  cmp r0, #0
#          162  beq #-66
#          164  bx r12
