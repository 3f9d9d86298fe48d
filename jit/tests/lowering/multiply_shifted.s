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
# By 0 and 1: multiplies (no shift form).
ldxw %r3, [%r1+12]
mul32 %r3, 0
add %r5, %r3
mul32 %r3, 1
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
#           22  bhs.w #296
#           26  ldr.w r10, [r4]
#     1: mul32 %r2, 0x21
#           30  add.w r10, r10, r10, lsl #5
#     2: ldxw %r3, [%r1+4]
#           34  adds.w r0, r4, #4
#           38  bhs.w #296
#           42  ldrd r12, r3, [r7, #188]
#           46  sub.w r12, r0, r12
#           50  cmp r12, r3
#           52  bhs.w #282
#           56  ldr r6, [r0]
#     3: mul32 %r3, 0x7
#           58  rsb r6, r6, r6, lsl #3
#     4: ldxw %r4, [%r1+8]
#           62  adds.w r0, r4, #8
#           66  bhs.w #294
#           70  ldrd r12, r3, [r7, #188]
#           74  sub.w r12, r0, r12
#           78  cmp r12, r3
#           80  bhs.w #280
#           84  ldr r5, [r0]
#     5: mul32 %r4, 0x10
#           86  lsl.w r5, r5, #4
#     6: add32 %r2, %r3
#           90  add r10, r6
#     7: add32 %r2, %r4
#           92  add r10, r5
#     8: ldxdw %r5, [%r1+16]
#           94  adds.w r0, r4, #16
#           98  bhs.w #288
#          102  ldrd r12, r3, [r7, #196]
#          106  sub.w r12, r0, r12
#          110  cmp r12, r3
#          112  bhs.w #274
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
#          150  bhs.w #262
#          154  ldrd r12, r3, [r7, #196]
#          158  sub.w r12, r0, r12
#          162  cmp r12, r3
#          164  bhs.w #248
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
#          200  bhs.w #238
#          204  ldrd r12, r3, [r7, #188]
#          208  sub.w r12, r0, r12
#          212  cmp r12, r3
#          214  bhs.w #224
#          218  ldr r6, [r0]
#    15: mul %r3, 12
#          220  movs r2, #12
#          222  umull r6, r5, r6, r2
#    16: add %r5, %r3
#          226  adds.w r9, r9, r6
#          230  adc.w r8, r8, r5
#    17: ldxw %r3, [%r1+12]
#          234  adds.w r0, r4, #12
#          238  bhs.w #226
#          242  ldrd r12, r3, [r7, #188]
#          246  sub.w r12, r0, r12
#          250  cmp r12, r3
#          252  bhs.w #212
#          256  ldr r5, [r0]
#    18: mul32 %r3, 0x0
#          258  movs r2, #0
#          260  mul r5, r5, r2
#    19: add %r5, %r3
#          264  adds.w r9, r9, r5
#          268  adc r8, r8, #0
#    20: mul32 %r3, 0x1
#          272  movs r2, #1
#          274  mul r5, r5, r2
#    21: add %r5, %r3
#          278  adds.w r9, r9, r5
#          282  adc r8, r8, #0
#    22: mov %r0, %r5
#          286  mov r5, r9
#          288  mov r4, r8
#    23: exit
#          290  strd r5, r4, [r7]
#          294  b.w #16
#          298  mov.w r0, #1
#          302  b.w #12
#          306  mov.w r0, #2
#          310  b.w #4
#          314  mov.w r0, #0
#          318  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          322  mov r1, r4
#          324  movs r2, #0
#          326  movs r3, #4
#          328  str.w lr, [r7, #128]
#          332  bl #158
#          336  b #-314
#          338  mov r1, r4
#          340  movs r2, #0
#          342  adds.w r1, r1, #4
#          346  adc r2, r2, #0
#          350  mov.w r3, #516
#          354  str.w lr, [r7, #128]
#          358  bl #132
#          362  b #-310
#          364  mov r1, r4
#          366  movs r2, #0
#          368  adds.w r1, r1, #8
#          372  adc r2, r2, #0
#          376  movw r3, #1028
#          380  str.w lr, [r7, #128]
#          384  bl #106
#          388  b #-308
#          390  mov r1, r4
#          392  movs r2, #0
#          394  adds.w r1, r1, #16
#          398  adc r2, r2, #0
#          402  movw r3, #2056
#          406  str.w lr, [r7, #128]
#          410  bl #80
#          414  b #-302
#          416  mov r1, r4
#          418  movs r2, #0
#          420  adds.w r1, r1, #24
#          424  adc r2, r2, #0
#          428  movw r3, #2824
#          432  str.w lr, [r7, #128]
#          436  bl #54
#          440  b #-276
#          442  mov r1, r4
#          444  movs r2, #0
#          446  adds.w r1, r1, #12
#          450  adc r2, r2, #0
#          454  movw r3, #3588
#          458  str.w lr, [r7, #128]
#          462  bl #28
#          466  b #-252
#          468  mov r1, r4
#          470  movs r2, #0
#          472  adds.w r1, r1, #12
#          476  adc r2, r2, #0
#          480  movw r3, #4356
#          484  str.w lr, [r7, #128]
#          488  bl #2
#          492  b #-240
#          494  push.w {r3, lr}
#          498  mov r0, r7
#          500  ldr.w r12, [r7, #144]
#          504  blx r12
#          506  pop.w {r3, r12}
#          510  ldr.w lr, [r7, #128]
#          514  cmp r0, #0
#          516  beq #-222
#          518  bx r12
