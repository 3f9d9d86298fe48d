# An index into a frame array that reaches below r10 - 255 (so r10's home holds r10 -
# 256): `d = r10; d += -256; d += i; d = *d` is one load from r10's home plus the index,
# the -256 taking the home's bias back. Another constant goes into the access's
# displacement, after the add of the index into r12.
stb [%r10-300], 7
ldxw %r2, [%r1+0]
and %r2, 0xfc
mov %r1, %r10
add %r1, -256
add %r1, %r2
ldxw %r1, [%r1+0]
mov %r3, %r10
add %r3, -260
add %r3, %r2
ldxw %r3, [%r3+0]
mov %r0, %r1
add %r0, %r3
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #80]
#           12  sub.w r4, r4, #256
#     0: stb [%r10-300], 7
#           16  movs r2, #7
#           18  strb r2, [r4, #-44]
#     1: ldxw %r2, [%r1+0]
#           22  ldr r0, [r7, #8]
#           24  ldrd r12, r3, [r7, #188]
#           28  sub.w r12, r0, r12
#           32  cmp r12, r3
#           34  bhs.w #62
#           38  ldr r5, [r0]
#     2: and %r2, 252
#           40  and r5, r5, #252
#     3: mov %r1, %r10
#           44  ldr.w r6, [r4, r5]
#     4: add %r1, -256
#     5: add %r1, %r2
#     6: ldxw %r1, [%r1+0]
#     7: mov %r3, %r10
#           48  add.w r12, r4, r5
#           52  ldr r8, [r12, #-4]
#     8: add %r3, -260
#     9: add %r3, %r2
#    10: ldxw %r3, [%r3+0]
#    11: mov %r0, %r1
#    12: add %r0, %r3
#           56  adds.w r6, r6, r8
#           60  mov.w r12, #0
#           64  adc r5, r12, #0
#    13: exit
#           68  strd r6, r5, [r7]
#           72  b.w #16
#           76  mov.w r0, #1
#           80  b.w #12
#           84  mov.w r0, #2
#           88  b.w #4
#           92  mov.w r0, #0
#           96  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          100  ldr r1, [r7, #8]
#          102  movs r2, #0
#          104  mov.w r3, #260
#          108  str.w lr, [r7, #128]
#          112  bl #2
#          116  b #-82
#          118  push.w {r3, lr}
#          122  mov r0, r7
#          124  ldr.w r12, [r7, #144]
#          128  blx r12
#          130  pop.w {r3, r12}
#          134  ldr.w lr, [r7, #128]
#          138  cmp r0, #0
#          140  beq #-68
#          142  bx r12
