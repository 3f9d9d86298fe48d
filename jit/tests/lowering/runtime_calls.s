# What the lowering leaves to the runtime: 64-bit signed division, shifts by a
# register, byte swaps and helper calls (a known id through its entry in `ctx`'s
# table, a `call` by register through `rt_helper`, which reads the register).
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
#           10  ldr.w r8, [r7, #8]
#     0: mov %r2, 7
#           14  mov.w r10, #7
#     1: sdiv %r1, %r2
#           18  mov.w r12, #0
#           22  strd r8, r12, [r7, #8]
#           26  strd r10, r12, [r7, #16]
#           30  str.w lr, [r7, #128]
#           34  movs r1, #1
#           36  mov r0, r7
#           38  ldr.w r12, [r7, #152]
#           42  blx r12
#           44  ldr.w lr, [r7, #128]
#           48  cmp r0, #0
#           50  bne.w #192
#           54  ldrd r8, r9, [r7, #8]
#     2: lsh %r1, %r2
#           58  mov.w r12, #0
#           62  strd r8, r9, [r7, #8]
#           66  strd r10, r12, [r7, #16]
#           70  str.w lr, [r7, #128]
#           74  movs r1, #2
#           76  mov r0, r7
#           78  ldr.w r12, [r7, #152]
#           82  blx r12
#           84  ldr.w lr, [r7, #128]
#           88  cmp r0, #0
#           90  bne.w #152
#           94  ldrd r8, r9, [r7, #8]
#     3: be64 %r1
#           98  mov.w r12, #0
#          102  str.w r12, [r7, #4]
#          106  strd r8, r9, [r7, #8]
#          110  str.w lr, [r7, #128]
#          114  movs r1, #3
#          116  mov r0, r7
#          118  ldr.w r12, [r7, #152]
#          122  blx r12
#          124  ldr.w lr, [r7, #128]
#          128  cmp r0, #0
#          130  bne.w #112
#          134  ldrd r8, r9, [r7, #8]
#     4: mov %r6, %r1
#          138  mov r6, r9
#     5: call 82 # strlen
#          140  strd r8, r9, [r7, #8]
#          144  movs r1, #5
#          146  movs r2, #82
#          148  str.w lr, [r7, #128]
#          152  bl #94
#          156  ldrd r5, r4, [r7]
#     6: add %r0, %r6
#          160  adds.w r5, r5, r8
#          164  adc.w r4, r4, r6
#     7: mov %r6, %r0
#          168  mov r9, r5
#          170  mov r8, r4
#     8: mov %r1, %r10
#          172  ldr r6, [r7, #80]
#     9: call %r6
#          174  mov.w r12, #0
#          178  strd r6, r12, [r7, #8]
#          182  strd r10, r12, [r7, #16]
#          186  str.w r12, [r7, #28]
#          190  str.w r12, [r7, #36]
#          194  str.w r12, [r7, #44]
#          198  strd r9, r8, [r7, #48]
#          202  movs r1, #9
#          204  movs r2, #0
#          206  str.w lr, [r7, #128]
#          210  bl #36
#          214  ldrd r5, r4, [r7]
#    10: exit
#          218  strd r5, r4, [r7]
#          222  b.w #16
#          226  mov.w r0, #1
#          230  b.w #12
#          234  mov.w r0, #2
#          238  b.w #4
#          242  mov.w r0, #0
#          246  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          250  push.w {r3, lr}
#          254  mov r0, r7
#          256  ldr.w r12, [r7, #148]
#          260  ldr.w r12, [r12, r2, lsl #2]
#          264  blx r12
#          266  pop.w {r3, r12}
#          270  ldr.w lr, [r7, #128]
#          274  cmp r0, #0
#          276  bne.w #2
#          280  bx r12
#          282  cmp r0, #3
#          284  beq #-46
#          286  b #-44
