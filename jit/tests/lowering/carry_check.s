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
#           22  bhs.w #200
#           26  ldr.w r11, [r4]
#     1: mov %r2, %r10
#           30  ldr r1, [r7, #80]
#           32  sub.w r8, r1, #48
#     2: add %r2, -48
#     3: add %r2, %r3
#           36  adds.w r8, r8, r11
#           40  bhs.w #198
#           44  movs r6, #0
#     4: mov32 %r4, 0x3b
#           46  movs r5, #59
#     5: stxb [%r2+0], %r4
#           48  ldrd r12, r3, [r7, #396]
#           52  sub.w r12, r8, r12
#           56  cmp r12, r3
#           58  bhs.w #198
#           62  strb.w r5, [r8]
#     6: mov %r0, %r2
#           66  mov r10, r8
#           68  mov r9, r6
#     7: rsh %r0, 32
#           70  mov r10, r9
#     8: ldxw %r5, [%r1+4]
#           72  adds.w r0, r4, #4
#           76  bhs.w #198
#           80  ldrd r12, r3, [r7, #188]
#           84  sub.w r12, r0, r12
#           88  cmp r12, r3
#           90  bhs.w #184
#           94  ldr r6, [r0]
#     9: add %r5, 12
#           96  adds.w r6, r6, #12
#          100  bhs.w #200
#    10: ldxw %r4, [%r5-4]
#          104  subs.w r0, r6, #4
#          108  blo.w #218
#          112  ldrd r12, r3, [r7, #444]
#          116  sub.w r12, r0, r12
#          120  cmp r12, r3
#          122  bhs.w #204
#          126  ldr r5, [r0]
#    11: add %r0, %r4
#          128  adds.w r10, r10, r5
#          132  mov.w r12, #0
#          136  adc r9, r12, #0
#    12: mov %r6, %r1
#          140  mov r8, r4
#    13: add %r6, %r3
#          142  adds.w r8, r8, r11
#          146  mov.w r12, #0
#          150  adc r6, r12, #0
#    14: ldxb %r4, [%r1+1]
#          154  adds.w r0, r4, #1
#          158  bhs.w #194
#          162  ldrd r12, r3, [r7, #172]
#          166  sub.w r12, r0, r12
#          170  cmp r12, r3
#          172  bhs.w #180
#          176  ldrb r5, [r0]
#    15: add %r0, %r4
#          178  adds.w r10, r10, r5
#          182  adc r9, r9, #0
#    16: add %r0, %r6
#          186  adds.w r10, r10, r8
#          190  adc.w r9, r9, r6
#    17: exit
#          194  strd r10, r9, [r7]
#          198  b.w #16
#          202  mov.w r0, #1
#          206  b.w #12
#          210  mov.w r0, #2
#          214  b.w #4
#          218  mov.w r0, #0
#          222  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          226  mov r1, r4
#          228  movs r2, #0
#          230  movs r3, #4
#          232  str.w lr, [r7, #128]
#          236  bl #142
#          240  b #-218
#          242  mov r1, r8
#          244  movs r2, #1
#          246  movw r3, #1297
#          250  str.w lr, [r7, #128]
#          254  bl #124
#          258  b #-218
#          260  mov r1, r8
#          262  movs r2, #0
#          264  movw r3, #1297
#          268  str.w lr, [r7, #128]
#          272  bl #106
#          276  b #-218
#          278  mov r1, r4
#          280  movs r2, #0
#          282  adds.w r1, r1, #4
#          286  adc r2, r2, #0
#          290  movw r3, #2052
#          294  str.w lr, [r7, #128]
#          298  bl #80
#          302  b #-212
#          304  mov r1, r6
#          306  movs r2, #1
#          308  subs.w r1, r1, #4
#          312  adc r2, r2, #4294967295
#          316  movw r3, #2564
#          320  str.w lr, [r7, #128]
#          324  bl #54
#          328  b #-228
#          330  mov r1, r6
#          332  movs r2, #0
#          334  subs.w r1, r1, #4
#          338  adc r2, r2, #4294967295
#          342  movw r3, #2564
#          346  str.w lr, [r7, #128]
#          350  bl #28
#          354  b #-232
#          356  mov r1, r4
#          358  movs r2, #0
#          360  adds.w r1, r1, #1
#          364  adc r2, r2, #0
#          368  movw r3, #3585
#          372  str.w lr, [r7, #128]
#          376  bl #2
#          380  b #-208
#          382  push.w {r3, lr}
#          386  mov r0, r7
#          388  ldr.w r12, [r7, #144]
#          392  blx r12
#          394  pop.w {r3, r12}
#          398  ldr.w lr, [r7, #128]
#          402  cmp r0, #0
#          404  beq #-206
#          406  bx r12
