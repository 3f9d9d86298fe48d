# Ten 64-bit values live through a loop: more halves than registers, so some live in
# `ctx.regs` and pass through scratch registers. A scratch register that holds a
# spilled half (loaded or stored by the instruction before, with only compares and a
# branch not taken between) is not loaded again, and a copy or a store of a spilled
# half takes it from any register that holds it; where a jump lands (`skip`), what a
# register holds depends on the way in, and the half is loaded again.
lddw %r0, 0x0123456789abcdef
lddw %r2, 0x1111111122222222
lddw %r3, 0x3333333344444444
lddw %r4, 0x5555555566666666
lddw %r5, 0x7777777788888888
lddw %r6, 0x99999999aaaaaaaa
lddw %r7, 0xbbbbbbbbcccccccc
lddw %r8, 0xddddddddeeeeeeee
lddw %r9, 0x0f0f0f0ff0f0f0f0
mov %r1, 6
loop:
add %r2, %r3
add %r2, 7
xor %r4, %r5
add %r6, %r7
jeq %r1, 3, skip
add %r6, 1
skip:
mov %r4, %r7
add %r6, %r7
xor %r0, %r8
sub %r1, 1
jne %r1, 0, loop
xor %r0, %r2
add %r0, %r3
xor %r0, %r4
add %r0, %r5
xor %r0, %r6
add %r0, %r7
xor %r0, %r8
add %r0, %r9
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#     0: lddw %r0, 0x123456789abcdef
#            6  movw r11, #52719
#           10  movt r11, #35243
#           14  movw r10, #17767
#           18  movt r10, #291
#     2: lddw %r2, 0x1111111122222222
#           22  mov.w r9, #572662306
#           26  mov.w r8, #286331153
#     4: lddw %r3, 0x3333333344444444
#           30  mov.w r0, #1145324612
#           34  str r0, [r7, #24]
#           36  mov.w r1, #858993459
#           40  str r1, [r7, #28]
#     6: lddw %r4, 0x5555555566666666
#           42  mov.w r0, #1717986918
#           46  str r0, [r7, #32]
#           48  mov.w r1, #1431655765
#           52  str r1, [r7, #36]
#     8: lddw %r5, 0x7777777788888888
#           54  mov.w r0, #2290649224
#           58  str r0, [r7, #40]
#           60  mov.w r1, #2004318071
#           64  str r1, [r7, #44]
#    10: lddw %r6, 0x99999999aaaaaaaa
#           66  mov.w r6, #2863311530
#           70  mov.w r5, #2576980377
#    12: lddw %r7, 0xbbbbbbbbcccccccc
#           74  mov.w r0, #3435973836
#           78  str r0, [r7, #56]
#           80  mov.w r1, #3149642683
#           84  str r1, [r7, #60]
#    14: lddw %r8, 0xddddddddeeeeeeee
#           86  mov.w r0, #4008636142
#           90  str r0, [r7, #64]
#           92  mov.w r1, #3722304989
#           96  str r1, [r7, #68]
#    16: lddw %r9, 0xf0f0f0ff0f0f0f0
#           98  mov.w r0, #4042322160
#          102  str r0, [r7, #72]
#          104  mov.w r1, #252645135
#          108  str r1, [r7, #76]
#    18: mov %r1, 6
#          110  mov.w lr, #6
#          114  movs r4, #0
#    19: add %r2, %r3
#          116  ldr r2, [r7, #24]
#          118  ldr r3, [r7, #28]
#          120  adds.w r9, r9, r2
#          124  adc.w r8, r8, r3
#    20: add %r2, 7
#          128  adds.w r9, r9, #7
#          132  adc r8, r8, #0
#    21: xor %r4, %r5
#          136  ldr r0, [r7, #32]
#          138  ldr r2, [r7, #40]
#          140  eor.w r0, r0, r2
#          144  str r0, [r7, #32]
#    22: add %r6, %r7
#          146  ldr r2, [r7, #56]
#          148  ldr r3, [r7, #60]
#          150  adds.w r6, r6, r2
#          154  adc.w r5, r5, r3
#    23: jeq %r1, 0x3, +1
#          158  cmp.w lr, #3
#          162  it eq
#          164  cmpeq r4, #0
#          166  beq.w #8
#    24: add %r6, 1
#          170  adds.w r6, r6, #1
#          174  adc r5, r5, #0
#    25: mov %r4, %r7
#          178  ldr r0, [r7, #56]
#          180  str r0, [r7, #32]
#          182  ldr r1, [r7, #60]
#          184  str r1, [r7, #36]
#    26: add %r6, %r7
#          186  ldr r2, [r7, #56]
#          188  ldr r3, [r7, #60]
#          190  adds.w r6, r6, r2
#          194  adc.w r5, r5, r3
#    27: xor %r0, %r8
#          198  ldr r2, [r7, #64]
#          200  eor.w r11, r11, r2
#          204  ldr r3, [r7, #68]
#          206  eor.w r10, r10, r3
#    28: sub %r1, 1
#          210  subs.w lr, lr, #1
#          214  sbc r4, r4, #0
#    29: jne %r1, 0x0, -11
#          218  cmp.w lr, #0
#          222  it eq
#          224  cmpeq r4, #0
#          226  beq.w #18
#          230  ldr.w r12, [r7, #128]
#          234  subs.w r12, r12, #1
#          238  str.w r12, [r7, #128]
#          242  bne #-130
#          244  b.w #104
#    30: xor %r0, %r2
#          248  eor.w r11, r11, r9
#          252  eor.w r10, r10, r8
#    31: add %r0, %r3
#          256  ldr r2, [r7, #24]
#          258  ldr r3, [r7, #28]
#          260  adds.w r11, r11, r2
#          264  adc.w r10, r10, r3
#    32: xor %r0, %r4
#          268  ldr r2, [r7, #32]
#          270  eor.w r11, r11, r2
#          274  ldr r3, [r7, #36]
#          276  eor.w r10, r10, r3
#    33: add %r0, %r5
#          280  ldr r2, [r7, #40]
#          282  ldr r3, [r7, #44]
#          284  adds.w r11, r11, r2
#          288  adc.w r10, r10, r3
#    34: xor %r0, %r6
#          292  eor.w r11, r11, r6
#          296  eor.w r10, r10, r5
#    35: add %r0, %r7
#          300  ldr r2, [r7, #56]
#          302  ldr r3, [r7, #60]
#          304  adds.w r11, r11, r2
#          308  adc.w r10, r10, r3
#    36: xor %r0, %r8
#          312  ldr r2, [r7, #64]
#          314  eor.w r11, r11, r2
#          318  ldr r3, [r7, #68]
#          320  eor.w r10, r10, r3
#    37: add %r0, %r9
#          324  ldr r2, [r7, #72]
#          326  ldr r3, [r7, #76]
#          328  adds.w r11, r11, r2
#          332  adc.w r10, r10, r3
#    38: exit
#          336  strd r11, r10, [r7]
#          340  b.w #16
#          344  mov.w r0, #1
#          348  b.w #12
#          352  mov.w r0, #2
#          356  b.w #4
#          360  mov.w r0, #0
#          364  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
