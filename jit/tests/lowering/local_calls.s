# bpf-to-bpf calls: a native bl frame; the runtime keeps the eBPF frames and restores
# r6-r10.
mov %r6, 3
mov %r1, 4
call local double
add %r0, %r6
exit
double:
mov %r0, %r1
add %r0, %r1
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  mov r12, sp
#            8  str.w r12, [r7, #168]
#           12  ldr.w lr, [r7, #128]
#           16  ldrd r4, r5, [r7]
#           20  ldr.w r11, [r7, #16]
#     0: mov %r6, 3
#           24  mov.w r9, #3
#           28  mov.w r10, #0
#     1: mov %r1, 4
#           32  movs r6, #4
#           34  mov.w r8, #0
#     2: call local +2
#           38  subs.w lr, lr, #1
#           42  beq.w #132
#           46  mov.w r12, #0
#           50  strd r9, r12, [r7, #48]
#           54  str.w r12, [r7, #60]
#           58  str.w r12, [r7, #68]
#           62  str.w r12, [r7, #76]
#           66  str.w r12, [r7, #84]
#           70  str.w lr, [r7, #128]
#           74  movs r1, #2
#           76  mov r0, r7
#           78  ldr.w r12, [r7, #156]
#           82  blx r12
#           84  ldr.w lr, [r7, #128]
#           88  cmp r0, #0
#           90  bne.w #96
#           94  str.w lr, [r7, #128]
#           98  bl #118
#          102  ldr.w lr, [r7, #128]
#          106  ldrd r9, r10, [r7, #48]
#     3: add %r0, %r6
#          110  adds.w r4, r4, r9
#          114  adc r5, r5, #0
#     4: exit
#          118  ldr.w r12, [r7, #132]
#          122  cmp.w r12, #0
#          126  bne.w #70
#          130  strd r4, r5, [r7]
#          134  b.w #48
#     5: mov %r0, %r1
#          138  mov r4, r6
#          140  mov r5, r8
#     6: add %r0, %r1
#          142  adds.w r4, r4, r6
#          146  adc.w r5, r5, r8
#     7: exit
#          150  ldr.w r12, [r7, #132]
#          154  cmp.w r12, #0
#          158  bne.w #38
#          162  strd r4, r5, [r7]
#          166  b.w #16
#          170  mov.w r0, #1
#          174  b.w #12
#          178  mov.w r0, #2
#          182  b.w #4
#          186  mov.w r0, #0
#          190  ldr.w r12, [r7, #168]
#          194  mov sp, r12
#          196  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          200  str.w lr, [r7, #128]
#          204  mov r0, r7
#          206  ldr.w r12, [r7, #160]
#          210  blx r12
#          212  ldr.w lr, [r7, #128]
#          216  pop.w {r3, pc}
#          220  push.w {r3, lr}
#          224  ldr.w lr, [r7, #128]
#          228  b #-94
