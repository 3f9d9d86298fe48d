# Remainders by constants: a subtraction and a select where the dividend is below
# twice the divisor and both are halfwords, a divide where it is not.
# Below 2 * 256 (two bytes summed: up to 510).
ldxb %r2, [%r1+0]
ldxb %r3, [%r1+1]
add32 %r2, %r3
mod32 %r2, 256
# Up to 510 is not below 2 * 255.
ldxb %r4, [%r1+2]
ldxb %r5, [%r1+3]
add32 %r4, %r5
mod32 %r4, 255
add32 %r2, %r4
# A halfword below 2 * 40000, 64-bit.
ldxh %r3, [%r1+4]
mod %r3, 40000
add %r2, %r3
# Below 2 * 70000, but 70000 is no halfword.
ldxh %r4, [%r1+6]
mod32 %r4, 70000
add32 %r2, %r4
mov32 %r0, %r2
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #8]
#     0: ldxb %r2, [%r1+0]
#           12  ldrd r12, r3, [r7, #172]
#           16  sub.w r12, r4, r12
#           20  cmp r12, r3
#           22  bhs.w #222
#           26  ldrb.w r8, [r4]
#     1: ldxb %r3, [%r1+1]
#           30  adds.w r0, r4, #1
#           34  bhs.w #226
#           38  ldrd r12, r3, [r7, #172]
#           42  sub.w r12, r0, r12
#           46  cmp r12, r3
#           48  bhs.w #212
#           52  ldrb r5, [r0]
#     2: add32 %r2, %r3
#           54  add r8, r5
#     3: mod32 %r2, 0x100
#           56  mov.w r2, #256
#           60  usub16 r12, r8, r2
#           64  sel r8, r12, r8
#     4: ldxb %r4, [%r1+2]
#           68  adds.w r0, r4, #2
#           72  bhs.w #214
#           76  ldrd r12, r3, [r7, #172]
#           80  sub.w r12, r0, r12
#           84  cmp r12, r3
#           86  bhs.w #200
#           90  ldrb r6, [r0]
#     5: ldxb %r5, [%r1+3]
#           92  adds.w r0, r4, #3
#           96  bhs.w #216
#          100  ldrd r12, r3, [r7, #172]
#          104  sub.w r12, r0, r12
#          108  cmp r12, r3
#          110  bhs.w #202
#          114  ldrb r5, [r0]
#     6: add32 %r4, %r5
#          116  add r6, r5
#     7: mod32 %r4, 0xff
#          118  movs r2, #255
#          120  udiv r12, r6, r2
#          124  mls r6, r12, r2, r6
#     8: add32 %r2, %r4
#          128  add r8, r6
#     9: ldxh %r3, [%r1+4]
#          130  adds.w r0, r4, #4
#          134  bhs.w #204
#          138  ldrd r12, r3, [r7, #180]
#          142  sub.w r12, r0, r12
#          146  cmp r12, r3
#          148  bhs.w #190
#          152  ldrh r5, [r0]
#    10: mod %r3, 40000
#          154  movw r2, #40000
#          158  usub16 r12, r5, r2
#          162  sel r5, r12, r5
#    11: add %r2, %r3
#          166  add r8, r5
#    12: ldxh %r4, [%r1+6]
#          168  adds.w r0, r4, #6
#          172  bhs.w #192
#          176  ldrd r12, r3, [r7, #180]
#          180  sub.w r12, r0, r12
#          184  cmp r12, r3
#          186  bhs.w #178
#          190  ldrh r5, [r0]
#    13: mod32 %r4, 0x11170
#          192  movw r2, #4464
#          196  movt r2, #1
#          200  udiv r12, r5, r2
#          204  mls r5, r12, r2, r5
#    14: add32 %r2, %r4
#          208  add r8, r5
#    15: mov32 %r0, %r2
#          210  mov r4, r8
#    16: exit
#          212  mov.w r12, #0
#          216  strd r4, r12, [r7]
#          220  b.w #16
#          224  mov.w r0, #1
#          228  b.w #12
#          232  mov.w r0, #2
#          236  b.w #4
#          240  mov.w r0, #0
#          244  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          248  mov r1, r4
#          250  movs r2, #0
#          252  movs r3, #1
#          254  str.w lr, [r7, #128]
#          258  bl #132
#          262  b #-240
#          264  mov r1, r4
#          266  movs r2, #0
#          268  adds.w r1, r1, #1
#          272  adc r2, r2, #0
#          276  movw r3, #257
#          280  str.w lr, [r7, #128]
#          284  bl #106
#          288  b #-240
#          290  mov r1, r4
#          292  movs r2, #0
#          294  adds.w r1, r1, #2
#          298  adc r2, r2, #0
#          302  movw r3, #1025
#          306  str.w lr, [r7, #128]
#          310  bl #80
#          314  b #-228
#          316  mov r1, r4
#          318  movs r2, #0
#          320  adds.w r1, r1, #3
#          324  adc r2, r2, #0
#          328  movw r3, #1281
#          332  str.w lr, [r7, #128]
#          336  bl #54
#          340  b #-230
#          342  mov r1, r4
#          344  movs r2, #0
#          346  adds.w r1, r1, #4
#          350  adc r2, r2, #0
#          354  movw r3, #2306
#          358  str.w lr, [r7, #128]
#          362  bl #28
#          366  b #-218
#          368  mov r1, r4
#          370  movs r2, #0
#          372  adds.w r1, r1, #6
#          376  adc r2, r2, #0
#          380  movw r3, #3074
#          384  str.w lr, [r7, #128]
#          388  bl #2
#          392  b #-206
#          394  push.w {r3, lr}
#          398  mov r0, r7
#          400  ldr.w r12, [r7, #144]
#          404  blx r12
#          406  pop.w {r3, r12}
#          410  ldr.w lr, [r7, #128]
#          414  cmp r0, #0
#          416  beq #-196
#          418  bx r12
