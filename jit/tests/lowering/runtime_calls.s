# What the lowering leaves to the runtime: 64-bit signed division, shifts by a
# register, byte swaps and helper calls (the id passed as a constant, or for a `call`
# by register, the marker that has the runtime read it).
mov %r2, 7
sdiv %r1, %r2
lsh %r1, %r2
be64 %r1
mov %r6, %r1
call 0x52
add %r0, %r6
mov %r6, %r0
mov %r1, %r10
call %r6
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r9, [r7, #8]
#           14  ldr r4, [r7, #40]
#     0: mov %r2, 7
#           16  mov.w r11, #7
#     1: sdiv %r1, %r2
#           20  mov.w r12, #0
#           24  strd r9, r12, [r7, #8]
#           28  strd r11, r12, [r7, #16]
#           32  str.w lr, [r7, #128]
#           36  movs r1, #1
#           38  mov r0, r7
#           40  ldr.w r12, [r7, #152]
#           44  blx r12
#           46  ldr.w lr, [r7, #128]
#           50  cmp r0, #0
#           52  bne.w #216
#           56  ldrd r9, r10, [r7, #8]
#     2: lsh %r1, %r2
#           60  mov.w r12, #0
#           64  strd r9, r10, [r7, #8]
#           68  strd r11, r12, [r7, #16]
#           72  str.w lr, [r7, #128]
#           76  movs r1, #2
#           78  mov r0, r7
#           80  ldr.w r12, [r7, #152]
#           84  blx r12
#           86  ldr.w lr, [r7, #128]
#           90  cmp r0, #0
#           92  bne.w #176
#           96  ldrd r9, r10, [r7, #8]
#     3: be64 %r1
#          100  mov.w r12, #0
#          104  str.w r12, [r7, #4]
#          108  strd r9, r10, [r7, #8]
#          112  str.w lr, [r7, #128]
#          116  movs r1, #3
#          118  mov r0, r7
#          120  ldr.w r12, [r7, #152]
#          124  blx r12
#          126  ldr.w lr, [r7, #128]
#          130  cmp r0, #0
#          132  bne.w #136
#          136  ldrd r9, r10, [r7, #8]
#     4: mov %r6, %r1
#          140  mov r8, r10
#     5: call 82 # strlen
#          142  mov.w r12, #0
#          146  strd r9, r10, [r7, #8]
#          150  strd r11, r12, [r7, #16]
#          154  str.w r12, [r7, #28]
#          158  str.w r12, [r7, #36]
#          162  strd r4, r12, [r7, #40]
#          166  movs r1, #5
#          168  movs r2, #82
#          170  str.w lr, [r7, #128]
#          174  bl #98
#          178  ldrd r6, r5, [r7]
#     6: add %r0, %r6
#          182  adds.w r6, r6, r9
#          186  adc.w r5, r5, r8
#     7: mov %r6, %r0
#          190  mov r10, r6
#          192  mov r9, r5
#     8: mov %r1, %r10
#          194  ldr.w r8, [r7, #80]
#     9: call %r6
#          198  mov.w r12, #0
#          202  strd r8, r12, [r7, #8]
#          206  strd r11, r12, [r7, #16]
#          210  str.w r12, [r7, #28]
#          214  str.w r12, [r7, #36]
#          218  strd r4, r12, [r7, #40]
#          222  strd r10, r9, [r7, #48]
#          226  movs r1, #9
#          228  mov.w r2, #4294967295
#          232  str.w lr, [r7, #128]
#          236  bl #36
#          240  ldrd r6, r5, [r7]
#    10: exit
#          244  strd r6, r5, [r7]
#          248  b.w #16
#          252  mov.w r0, #1
#          256  b.w #12
#          260  mov.w r0, #2
#          264  b.w #4
#          268  mov.w r0, #0
#          272  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          276  push.w {r3, lr}
#          280  mov r0, r7
#          282  ldr.w r12, [r7, #148]
#          286  blx r12
#          288  pop.w {r3, r12}
#          292  ldr.w lr, [r7, #128]
#          296  cmp r0, #0
#          298  bne.w #2
#          302  bx r12
#          304  cmp r0, #3
#          306  beq #-42
#          308  b #-40
