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
#           16  ldr r4, [r7]
#           18  ldr.w r10, [r7, #16]
#           22  ldr.w r11, [r7, #24]
#     0: mov %r6, 3
#           26  movs r6, #3
#     1: mov %r1, 4
#           28  movs r5, #4
#           30  mov.w r9, #0
#     2: call local +2
#           34  subs.w lr, lr, #1
#           38  beq.w #136
#           42  mov.w r12, #0
#           46  strd r6, r12, [r7, #48]
#           50  str.w r12, [r7, #60]
#           54  str.w r12, [r7, #68]
#           58  str.w r12, [r7, #76]
#           62  str.w r12, [r7, #84]
#           66  str.w lr, [r7, #128]
#           70  movs r1, #2
#           72  mov r0, r7
#           74  ldr.w r12, [r7, #156]
#           78  blx r12
#           80  ldr.w lr, [r7, #128]
#           84  cmp r0, #0
#           86  bne.w #100
#           90  str.w lr, [r7, #128]
#           94  bl #122
#           98  ldr.w lr, [r7, #128]
#          102  ldr r6, [r7, #48]
#     3: add %r0, %r6
#          104  adds.w r4, r4, r6
#          108  adc r8, r8, #0
#     4: exit
#          112  ldr.w r12, [r7, #132]
#          116  cmp.w r12, #0
#          120  bne.w #76
#          124  strd r4, r8, [r7]
#          128  b.w #54
#     5: mov %r0, %r1
#          132  mov r4, r5
#     6: add %r0, %r1
#          134  adds.w r4, r4, r5
#          138  mov.w r12, #0
#          142  adc r8, r12, #0
#     7: exit
#          146  ldr.w r12, [r7, #132]
#          150  cmp.w r12, #0
#          154  bne.w #42
#          158  mov.w r12, #0
#          162  strd r4, r12, [r7]
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
#          228  b #-100
