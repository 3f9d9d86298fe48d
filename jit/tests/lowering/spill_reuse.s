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
#            6  ldr.w lr, [r7, #128]
#     0: lddw %r0, 0x123456789abcdef
#           10  movw r11, #52719
#           14  movt r11, #35243
#           18  movw r10, #17767
#           22  movt r10, #291
#     2: lddw %r2, 0x1111111122222222
#           26  mov.w r9, #572662306
#           30  mov.w r8, #286331153
#     4: lddw %r3, 0x3333333344444444
#           34  mov.w r0, #1145324612
#           38  str r0, [r7, #24]
#           40  mov.w r1, #858993459
#           44  str r1, [r7, #28]
#     6: lddw %r4, 0x5555555566666666
#           46  mov.w r0, #1717986918
#           50  str r0, [r7, #32]
#           52  mov.w r1, #1431655765
#           56  str r1, [r7, #36]
#     8: lddw %r5, 0x7777777788888888
#           58  mov.w r0, #2290649224
#           62  str r0, [r7, #40]
#           64  mov.w r1, #2004318071
#           68  str r1, [r7, #44]
#    10: lddw %r6, 0x99999999aaaaaaaa
#           70  mov.w r6, #2863311530
#           74  mov.w r5, #2576980377
#    12: lddw %r7, 0xbbbbbbbbcccccccc
#           78  mov.w r0, #3435973836
#           82  str r0, [r7, #56]
#           84  mov.w r1, #3149642683
#           88  str r1, [r7, #60]
#    14: lddw %r8, 0xddddddddeeeeeeee
#           90  mov.w r0, #4008636142
#           94  str r0, [r7, #64]
#           96  mov.w r1, #3722304989
#          100  str r1, [r7, #68]
#    16: lddw %r9, 0xf0f0f0ff0f0f0f0
#          102  mov.w r0, #4042322160
#          106  str r0, [r7, #72]
#          108  mov.w r1, #252645135
#          112  str r1, [r7, #76]
#    18: mov %r1, 6
#          114  movs r0, #6
#          116  str r0, [r7, #8]
#          118  movs r4, #0
#    19: add %r2, %r3
#          120  ldr r2, [r7, #24]
#          122  ldr r3, [r7, #28]
#          124  adds.w r9, r9, r2
#          128  adc.w r8, r8, r3
#    20: add %r2, 7
#          132  adds.w r9, r9, #7
#          136  adc r8, r8, #0
#    21: xor %r4, %r5
#          140  ldr r0, [r7, #32]
#          142  ldr r2, [r7, #40]
#          144  eor.w r0, r0, r2
#          148  str r0, [r7, #32]
#    22: add %r6, %r7
#          150  ldr r2, [r7, #56]
#          152  ldr r3, [r7, #60]
#          154  adds.w r6, r6, r2
#          158  adc.w r5, r5, r3
#    23: jeq %r1, 0x3, +1
#          162  ldr r0, [r7, #8]
#          164  cmp r0, #3
#          166  it eq
#          168  cmpeq r4, #0
#          170  beq.w #8
#    24: add %r6, 1
#          174  adds.w r6, r6, #1
#          178  adc r5, r5, #0
#    25: mov %r4, %r7
#          182  ldr r0, [r7, #56]
#          184  str r0, [r7, #32]
#          186  ldr r1, [r7, #60]
#          188  str r1, [r7, #36]
#    26: add %r6, %r7
#          190  ldr r2, [r7, #56]
#          192  ldr r3, [r7, #60]
#          194  adds.w r6, r6, r2
#          198  adc.w r5, r5, r3
#    27: xor %r0, %r8
#          202  ldr r2, [r7, #64]
#          204  eor.w r11, r11, r2
#          208  ldr r3, [r7, #68]
#          210  eor.w r10, r10, r3
#    28: sub %r1, 1
#          214  ldr r0, [r7, #8]
#          216  subs.w r0, r0, #1
#          220  sbc r4, r4, #0
#          224  str r0, [r7, #8]
#    29: jne %r1, 0x0, -11
#          226  cmp r0, #0
#          228  it eq
#          230  cmpeq r4, #0
#          232  beq.w #10
#          236  subs.w lr, lr, #1
#          240  bne #-124
#          242  b.w #104
#    30: xor %r0, %r2
#          246  eor.w r11, r11, r9
#          250  eor.w r10, r10, r8
#    31: add %r0, %r3
#          254  ldr r2, [r7, #24]
#          256  ldr r3, [r7, #28]
#          258  adds.w r11, r11, r2
#          262  adc.w r10, r10, r3
#    32: xor %r0, %r4
#          266  ldr r2, [r7, #32]
#          268  eor.w r11, r11, r2
#          272  ldr r3, [r7, #36]
#          274  eor.w r10, r10, r3
#    33: add %r0, %r5
#          278  ldr r2, [r7, #40]
#          280  ldr r3, [r7, #44]
#          282  adds.w r11, r11, r2
#          286  adc.w r10, r10, r3
#    34: xor %r0, %r6
#          290  eor.w r11, r11, r6
#          294  eor.w r10, r10, r5
#    35: add %r0, %r7
#          298  ldr r2, [r7, #56]
#          300  ldr r3, [r7, #60]
#          302  adds.w r11, r11, r2
#          306  adc.w r10, r10, r3
#    36: xor %r0, %r8
#          310  ldr r2, [r7, #64]
#          312  eor.w r11, r11, r2
#          316  ldr r3, [r7, #68]
#          318  eor.w r10, r10, r3
#    37: add %r0, %r9
#          322  ldr r2, [r7, #72]
#          324  ldr r3, [r7, #76]
#          326  adds.w r11, r11, r2
#          330  adc.w r10, r10, r3
#    38: exit
#          334  strd r11, r10, [r7]
#          338  b.w #16
#          342  mov.w r0, #1
#          346  b.w #12
#          350  mov.w r0, #2
#          354  b.w #4
#          358  mov.w r0, #0
#          362  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
