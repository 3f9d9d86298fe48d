# A frame pointer plus a 32-bit index, then a store one ALU instruction on: the sum's
# high half is the add's carry, so `adds` branches out on it (to the store's slow path,
# with the high half 1) and the store tests no high half; read afterwards, it is a
# known zero. Then a 32-bit address from the input plus an immediate, loaded at once:
# the same. Last, an add whose sum the load's base is not: nothing to fuse.
ldxw %r3, [%r1+0]
mov %r2, %r10
add %r2, -48
add %r2, %r3
mov32 %r4, 59
stxb [%r2+0], %r4
mov %r0, %r2
rsh %r0, 32
ldxw %r5, [%r1+4]
add %r5, 12
ldxw %r4, [%r5-4]
add %r0, %r4
mov %r6, %r1
add %r6, %r3
ldxb %r4, [%r1+1]
add %r0, %r4
add %r0, %r6
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #8]
#     0: ldxw %r3, [%r1+0]
#           12  ldrd r12, r3, [r7, #188]
#           16  sub.w r12, r4, r12
#           20  cmp r12, r3
#           22  bhs.w #196
#           26  ldr.w r11, [r4]
#     1: mov %r2, %r10
#           30  ldr r1, [r7, #80]
#           32  sub.w r8, r1, #48
#     2: add %r2, -48
#     3: add %r2, %r3
#           36  adds.w r8, r8, r11
#           40  bhs.w #194
#           44  movs r6, #0
#     4: mov32 %r4, 0x3b
#           46  movs r5, #59
#     5: stxb [%r2+0], %r4
#           48  ldrd r12, r3, [r7, #396]
#           52  sub.w r12, r8, r12
#           56  cmp r12, r3
#           58  bhs.w #194
#           62  strb.w r5, [r8]
#     6: mov %r0, %r2
#           66  mov r10, r8
#           68  mov r9, r6
#     7: rsh %r0, 32
#           70  mov r10, r9
#     8: ldxw %r5, [%r1+4]
#           72  adds.w r0, r4, #4
#           76  bhs.w #194
#           80  ldrd r12, r3, [r7, #188]
#           84  sub.w r12, r0, r12
#           88  cmp r12, r3
#           90  bhs.w #180
#           94  ldr r6, [r0]
#     9: add %r5, 12
#           96  adds.w r6, r6, #12
#          100  bhs.w #196
#    10: ldxw %r4, [%r5-4]
#          104  subs.w r0, r6, #4
#          108  blo.w #214
#          112  ldrd r12, r3, [r7, #444]
#          116  sub.w r12, r0, r12
#          120  cmp r12, r3
#          122  bhs.w #200
#          126  ldr r5, [r0]
#    11: add %r0, %r4
#          128  adds.w r10, r10, r5
#          132  mov.w r12, #0
#          136  adc r9, r12, #0
#    12: mov %r6, %r1
#          140  mov r8, r4
#    13: add %r6, %r3
#          142  adds.w r8, r8, r11
#          146  adc r6, r12, #0
#    14: ldxb %r4, [%r1+1]
#          150  adds.w r0, r4, #1
#          154  bhs.w #194
#          158  ldrd r12, r3, [r7, #172]
#          162  sub.w r12, r0, r12
#          166  cmp r12, r3
#          168  bhs.w #180
#          172  ldrb r5, [r0]
#    15: add %r0, %r4
#          174  adds.w r10, r10, r5
#          178  adc r9, r9, #0
#    16: add %r0, %r6
#          182  adds.w r10, r10, r8
#          186  adc.w r9, r9, r6
#    17: exit
#          190  strd r10, r9, [r7]
#          194  b.w #16
#          198  mov.w r0, #1
#          202  b.w #12
#          206  mov.w r0, #2
#          210  b.w #4
#          214  mov.w r0, #0
#          218  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          222  mov r1, r4
#          224  movs r2, #0
#          226  movs r3, #4
#          228  str.w lr, [r7, #128]
#          232  bl #142
#          236  b #-214
#          238  mov r1, r8
#          240  movs r2, #1
#          242  movw r3, #1297
#          246  str.w lr, [r7, #128]
#          250  bl #124
#          254  b #-214
#          256  mov r1, r8
#          258  movs r2, #0
#          260  movw r3, #1297
#          264  str.w lr, [r7, #128]
#          268  bl #106
#          272  b #-214
#          274  mov r1, r4
#          276  movs r2, #0
#          278  adds.w r1, r1, #4
#          282  adc r2, r2, #0
#          286  movw r3, #2052
#          290  str.w lr, [r7, #128]
#          294  bl #80
#          298  b #-208
#          300  mov r1, r6
#          302  movs r2, #1
#          304  subs.w r1, r1, #4
#          308  adc r2, r2, #4294967295
#          312  movw r3, #2564
#          316  str.w lr, [r7, #128]
#          320  bl #54
#          324  b #-224
#          326  mov r1, r6
#          328  movs r2, #0
#          330  subs.w r1, r1, #4
#          334  adc r2, r2, #4294967295
#          338  movw r3, #2564
#          342  str.w lr, [r7, #128]
#          346  bl #28
#          350  b #-228
#          352  mov r1, r4
#          354  movs r2, #0
#          356  adds.w r1, r1, #1
#          360  adc r2, r2, #0
#          364  movw r3, #3585
#          368  str.w lr, [r7, #128]
#          372  bl #2
#          376  b #-208
#          378  push.w {r3, lr}
#          382  mov r0, r7
#          384  ldr.w r12, [r7, #144]
#          388  blx r12
#          390  pop.w {r3, r12}
#          394  ldr.w lr, [r7, #128]
#          398  cmp r0, #0
#          400  beq #-206
#          402  bx r12
