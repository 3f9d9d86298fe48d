# Products by constants no register holds: a 32-bit one by 2^k + 1, 2^k - 1 or 2^k
# is one shifted add, subtract or shift; 64-bit ones (as many instructions either
# way) and others are multiplies.
ldxw %r2, [%r1+0]
mul32 %r2, 33
ldxw %r3, [%r1+4]
mul32 %r3, 7
ldxw %r4, [%r1+8]
mul32 %r4, 16
add32 %r2, %r3
add32 %r2, %r4
ldxdw %r5, [%r1+16]
mul %r5, 31
add %r5, %r2
ldxdw %r6, [%r1+24]
mul %r6, 257
add %r5, %r6
ldxw %r3, [%r1+12]
mul %r3, 12
add %r5, %r3
mov %r0, %r5
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #8]
#     0: ldxw %r2, [%r1+0]
#           12  ldrd r12, r3, [r7, #188]
#           16  sub.w r12, r4, r12
#           20  cmp r12, r3
#           22  bhs.w #244
#           26  ldr.w r10, [r4]
#     1: mul32 %r2, 0x21
#           30  add.w r10, r10, r10, lsl #5
#     2: ldxw %r3, [%r1+4]
#           34  adds.w r0, r4, #4
#           38  bhs.w #244
#           42  ldrd r12, r3, [r7, #188]
#           46  sub.w r12, r0, r12
#           50  cmp r12, r3
#           52  bhs.w #230
#           56  ldr r6, [r0]
#     3: mul32 %r3, 0x7
#           58  rsb r6, r6, r6, lsl #3
#     4: ldxw %r4, [%r1+8]
#           62  adds.w r0, r4, #8
#           66  bhs.w #242
#           70  ldrd r12, r3, [r7, #188]
#           74  sub.w r12, r0, r12
#           78  cmp r12, r3
#           80  bhs.w #228
#           84  ldr r5, [r0]
#     5: mul32 %r4, 0x10
#           86  lsl.w r5, r5, #4
#     6: add32 %r2, %r3
#           90  add r10, r6
#     7: add32 %r2, %r4
#           92  add r10, r5
#     8: ldxdw %r5, [%r1+16]
#           94  adds.w r0, r4, #16
#           98  bhs.w #236
#          102  ldrd r12, r3, [r7, #196]
#          106  sub.w r12, r0, r12
#          110  cmp r12, r3
#          112  bhs.w #222
#          116  ldr.w r8, [r0, #4]
#          120  ldr.w r9, [r0]
#     9: mul %r5, 31
#          124  movs r2, #31
#          126  mul r12, r8, r2
#          130  umull r9, r8, r9, r2
#          134  add.w r8, r8, r12
#    10: add %r5, %r2
#          138  adds.w r9, r9, r10
#          142  adc r8, r8, #0
#    11: ldxdw %r6, [%r1+24]
#          146  adds.w r0, r4, #24
#          150  bhs.w #210
#          154  ldrd r12, r3, [r7, #196]
#          158  sub.w r12, r0, r12
#          162  cmp r12, r3
#          164  bhs.w #196
#          168  ldr r5, [r0, #4]
#          170  ldr r6, [r0]
#    12: mul %r6, 257
#          172  movw r2, #257
#          176  mul r12, r5, r2
#          180  umull r6, r5, r6, r2
#          184  add.w r5, r5, r12
#    13: add %r5, %r6
#          188  adds.w r9, r9, r6
#          192  adc.w r8, r8, r5
#    14: ldxw %r3, [%r1+12]
#          196  adds.w r0, r4, #12
#          200  bhs.w #186
#          204  ldrd r12, r3, [r7, #188]
#          208  sub.w r12, r0, r12
#          212  cmp r12, r3
#          214  bhs.w #172
#          218  ldr r6, [r0]
#    15: mul %r3, 12
#          220  movs r2, #12
#          222  umull r6, r5, r6, r2
#    16: add %r5, %r3
#          226  adds.w r9, r9, r6
#          230  adc.w r8, r8, r5
#    17: mov %r0, %r5
#          234  mov r5, r9
#          236  mov r4, r8
#    18: exit
#          238  strd r5, r4, [r7]
#          242  b.w #16
#          246  mov.w r0, #1
#          250  b.w #12
#          254  mov.w r0, #2
#          258  b.w #4
#          262  mov.w r0, #0
#          266  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          270  mov r1, r4
#          272  movs r2, #0
#          274  movs r3, #4
#          276  str.w lr, [r7, #128]
#          280  bl #132
#          284  b #-262
#          286  mov r1, r4
#          288  movs r2, #0
#          290  adds.w r1, r1, #4
#          294  adc r2, r2, #0
#          298  mov.w r3, #516
#          302  str.w lr, [r7, #128]
#          306  bl #106
#          310  b #-258
#          312  mov r1, r4
#          314  movs r2, #0
#          316  adds.w r1, r1, #8
#          320  adc r2, r2, #0
#          324  movw r3, #1028
#          328  str.w lr, [r7, #128]
#          332  bl #80
#          336  b #-256
#          338  mov r1, r4
#          340  movs r2, #0
#          342  adds.w r1, r1, #16
#          346  adc r2, r2, #0
#          350  movw r3, #2056
#          354  str.w lr, [r7, #128]
#          358  bl #54
#          362  b #-250
#          364  mov r1, r4
#          366  movs r2, #0
#          368  adds.w r1, r1, #24
#          372  adc r2, r2, #0
#          376  movw r3, #2824
#          380  str.w lr, [r7, #128]
#          384  bl #28
#          388  b #-224
#          390  mov r1, r4
#          392  movs r2, #0
#          394  adds.w r1, r1, #12
#          398  adc r2, r2, #0
#          402  movw r3, #3588
#          406  str.w lr, [r7, #128]
#          410  bl #2
#          414  b #-200
#          416  push.w {r3, lr}
#          420  mov r0, r7
#          422  ldr.w r12, [r7, #144]
#          426  blx r12
#          428  pop.w {r3, r12}
#          432  ldr.w lr, [r7, #128]
#          436  cmp r0, #0
#          438  beq #-196
#          440  bx r12
