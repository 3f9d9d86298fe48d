# Accesses the analysis cannot prove (a pointer read from memory) keep their inline
# window check; a frame access it proves is a bare load or store.
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
ldxw %r0, [%r2+16]
stxw [%r2+20], %r0
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r8, [r7, #80]
#     0: stxdw [%r10-8], %r1
#           14  ldr r2, [r7, #8]
#           16  str r2, [r8, #-8]
#           20  movs r3, #0
#           22  str r3, [r8, #-4]
#     1: ldxdw %r2, [%r10-8]
#           26  ldr r6, [r8, #-4]
#           30  ldr r5, [r8, #-8]
#     2: ldxw %r0, [%r2+16]
#           34  adds.w r0, r5, #16
#           38  adcs r12, r6, #0
#           42  bne.w #80
#           46  ldrd r12, r3, [r7, #444]
#           50  sub.w r12, r0, r12
#           54  cmp r12, r3
#           56  bhs.w #66
#           60  ldr r4, [r0]
#     3: stxw [%r2+20], %r0
#           62  adds.w r0, r5, #20
#           66  adcs r12, r6, #0
#           70  bne.w #78
#           74  ldrd r12, r3, [r7, #476]
#           78  sub.w r12, r0, r12
#           82  cmp r12, r3
#           84  bhs.w #64
#           88  str r4, [r0]
#     4: exit
#           90  mov.w r12, #0
#           94  strd r4, r12, [r7]
#           98  b.w #16
#          102  mov.w r0, #1
#          106  b.w #12
#          110  mov.w r0, #2
#          114  b.w #4
#          118  mov.w r0, #0
#          122  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          126  mov r1, r5
#          128  mov r2, r6
#          130  adds.w r1, r1, #16
#          134  adc r2, r2, #0
#          138  mov.w r3, #516
#          142  str.w lr, [r7, #128]
#          146  bl #28
#          150  b #-94
#          152  mov r1, r5
#          154  mov r2, r6
#          156  adds.w r1, r1, #20
#          160  adc r2, r2, #0
#          164  mov.w r3, #788
#          168  str.w lr, [r7, #128]
#          172  bl #2
#          176  b #-92
#          178  push.w {r3, lr}
#          182  mov r0, r7
#          184  ldr.w r12, [r7, #144]
#          188  blx r12
#          190  pop.w {r3, lr}
#          194  mov r12, lr
#          196  ldr.w lr, [r7, #128]
#          200  cmp r0, #0
#          202  beq #-104
#          204  bx r12
