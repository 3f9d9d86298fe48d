# Bit fields clang takes out without a bit-field extract, each one `sbfx`/`ubfx`:
# `lsh32; arsh32` (signed) and `lsh32; rsh32` (unsigned), from a copy (r2) or in
# place (r3); `rsh32; and32` with a low mask (r4; r5: the mask reaches past the
# shifted-in zeros); `and32 1; neg32` (r6: bit 0 as a mask); a 64-bit `lsh; arsh`
# by 40 (r7). Not fields: `lsh32 5; rsh32 3` (r8) and a mask that is no low mask (r9).
mov32 %r2, %r1
lsh32 %r2, 30
arsh32 %r2, 31
mov32 %r3, %r1
lsh32 %r3, 4
rsh32 %r3, 20
rsh32 %r3, 0
lsh32 %r3, 0
arsh32 %r3, 31
mov32 %r4, %r1
rsh32 %r4, 7
and32 %r4, 511
mov32 %r5, %r1
rsh32 %r5, 28
and32 %r5, 255
mov32 %r6, %r1
and32 %r6, 1
neg32 %r6
ldxdw %r7, [%r1+0]
lsh %r7, 40
arsh %r7, 40
mov32 %r8, %r1
lsh32 %r8, 5
rsh32 %r8, 3
mov32 %r9, %r1
rsh32 %r9, 4
and32 %r9, 6
mov %r0, %r2
add %r0, %r3
add %r0, %r4
add %r0, %r5
add %r0, %r6
add %r0, %r7
add %r0, %r8
add %r0, %r9
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #8]
#     0: mov32 %r2, %r1
#           12  sbfx r5, r4, #1, #1
#     1: lsh32 %r2, 0x1e
#     2: arsh32 %r2, 0x1f
#     3: mov32 %r3, %r1
#           16  ubfx r11, r4, #16, #12
#     4: lsh32 %r3, 0x4
#     5: rsh32 %r3, 0x14
#     6: rsh32 %r3, 0x0
#     7: lsh32 %r3, 0x0
#           20  sbfx r11, r11, #31, #1
#     8: arsh32 %r3, 0x1f
#     9: mov32 %r4, %r1
#           24  ubfx r0, r4, #7, #9
#           28  str r0, [r7, #32]
#    10: rsh32 %r4, 0x7
#    11: and32 %r4, 0x1ff
#    12: mov32 %r5, %r1
#           30  ubfx r0, r4, #28, #4
#           34  str r0, [r7, #40]
#    13: rsh32 %r5, 0x1c
#    14: and32 %r5, 0xff
#    15: mov32 %r6, %r1
#           36  sbfx r0, r4, #0, #1
#           40  str r0, [r7, #48]
#    16: and32 %r6, 0x1
#    17: neg32 %r6
#    18: ldxdw %r7, [%r1+0]
#           42  ldrd r12, r3, [r7, #196]
#           46  sub.w r12, r4, r12
#           50  cmp r12, r3
#           52  bhs.w #130
#           56  ldr.w r9, [r4, #4]
#           60  ldr.w r10, [r4]
#    19: lsh %r7, 40
#           64  sbfx r10, r10, #0, #24
#           68  asr.w r9, r10, #31
#    20: arsh %r7, 40
#    21: mov32 %r8, %r1
#           72  lsl.w r8, r4, #5
#    22: lsh32 %r8, 0x5
#    23: rsh32 %r8, 0x3
#           76  lsr.w r8, r8, #3
#    24: mov32 %r9, %r1
#           80  lsr.w r6, r4, #4
#    25: rsh32 %r9, 0x4
#    26: and32 %r9, 0x6
#           84  and r6, r6, #6
#    27: mov %r0, %r2
#    28: add %r0, %r3
#           88  adds.w r5, r5, r11
#           92  mov.w r12, #0
#           96  adc r4, r12, #0
#    29: add %r0, %r4
#          100  ldr r2, [r7, #32]
#          102  adds.w r5, r5, r2
#          106  adc r4, r4, #0
#    30: add %r0, %r5
#          110  ldr r2, [r7, #40]
#          112  adds.w r5, r5, r2
#          116  adc r4, r4, #0
#    31: add %r0, %r6
#          120  ldr r2, [r7, #48]
#          122  adds.w r5, r5, r2
#          126  adc r4, r4, #0
#    32: add %r0, %r7
#          130  adds.w r5, r5, r10
#          134  adc.w r4, r4, r9
#    33: add %r0, %r8
#          138  adds.w r5, r5, r8
#          142  adc r4, r4, #0
#    34: add %r0, %r9
#          146  adds.w r5, r5, r6
#          150  adc r4, r4, #0
#    35: exit
#          154  strd r5, r4, [r7]
#          158  b.w #16
#          162  mov.w r0, #1
#          166  b.w #12
#          170  mov.w r0, #2
#          174  b.w #4
#          178  mov.w r0, #0
#          182  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          186  mov r1, r4
#          188  movs r2, #0
#          190  movw r3, #4616
#          194  str.w lr, [r7, #128]
#          198  bl #2
#          202  b #-150
#          204  push.w {r3, lr}
#          208  mov r0, r7
#          210  ldr.w r12, [r7, #144]
#          214  blx r12
#          216  pop.w {r3, r12}
#          220  ldr.w lr, [r7, #128]
#          224  cmp r0, #0
#          226  beq #-68
#          228  bx r12
