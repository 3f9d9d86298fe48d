# What the lowering leaves to the runtime: 64-bit signed division, shifts by a
# register, byte swaps and helper calls.
mov %r2, 7
sdiv %r1, %r2
lsh %r1, %r2
be64 %r1
mov %r6, %r1
call 0x52
add %r0, %r6
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
#           50  bne.w #160
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
#           90  bne.w #120
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
#          130  bne.w #80
#          134  ldrd r8, r9, [r7, #8]
#     4: mov %r6, %r1
#          138  mov r6, r9
#     5: call 82 # strlen
#          140  mov.w r12, #0
#          144  strd r8, r9, [r7, #8]
#          148  strd r10, r12, [r7, #16]
#          152  str.w r12, [r7, #28]
#          156  str.w r12, [r7, #36]
#          160  str.w r12, [r7, #44]
#          164  movs r1, #5
#          166  str.w lr, [r7, #128]
#          170  bl #44
#          174  ldrd r5, r4, [r7]
#     6: add %r0, %r6
#          178  adds.w r5, r5, r8
#          182  adc.w r4, r4, r6
#     7: exit
#          186  strd r5, r4, [r7]
#          190  b.w #16
#          194  mov.w r0, #1
#          198  b.w #12
#          202  mov.w r0, #2
#          206  b.w #4
#          210  mov.w r0, #0
#          214  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          218  push.w {r3, lr}
#          222  mov r0, r7
#          224  ldr.w r12, [r7, #148]
#          228  blx r12
#          230  pop.w {r3, r12}
#          234  ldr.w lr, [r7, #128]
#          238  cmp r0, #0
#          240  bne.w #2
#          244  bx r12
#          246  cmp r0, #3
#          248  beq #-42
#          250  b #-40
