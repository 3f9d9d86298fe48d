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
#     0: mov %r6, 3
#           16  mov.w r8, #3
#     1: mov %r1, 4
#           20  movs r6, #4
#           22  movs r1, #0
#           24  str r1, [r7, #12]
#     2: call local +2
#           26  subs.w lr, lr, #1
#           30  beq.w #138
#           34  mov.w r12, #0
#           38  strd r8, r12, [r7, #48]
#           42  str.w r12, [r7, #60]
#           46  str.w r12, [r7, #68]
#           50  str.w r12, [r7, #76]
#           54  str.w r12, [r7, #84]
#           58  str.w lr, [r7, #128]
#           62  movs r1, #2
#           64  mov r0, r7
#           66  ldr.w r12, [r7, #156]
#           70  blx r12
#           72  ldr.w lr, [r7, #128]
#           76  cmp r0, #0
#           78  bne.w #102
#           82  str.w lr, [r7, #128]
#           86  bl #124
#           90  ldr.w lr, [r7, #128]
#           94  ldr.w r8, [r7, #48]
#     3: add %r0, %r6
#           98  adds.w r5, r5, r8
#          102  adc r4, r4, #0
#     4: exit
#          106  ldr.w r12, [r7, #132]
#          110  cmp.w r12, #0
#          114  bne.w #76
#          118  strd r5, r4, [r7]
#          122  b.w #54
#     5: mov %r0, %r1
#          126  mov r5, r6
#     6: add %r0, %r1
#          128  adds.w r5, r5, r6
#          132  mov.w r12, #0
#          136  adc r4, r12, #0
#     7: exit
#          140  ldr.w r12, [r7, #132]
#          144  cmp.w r12, #0
#          148  bne.w #42
#          152  mov.w r12, #0
#          156  strd r5, r12, [r7]
#          160  b.w #16
#          164  mov.w r0, #1
#          168  b.w #12
#          172  mov.w r0, #2
#          176  b.w #4
#          180  mov.w r0, #0
#          184  ldr.w r12, [r7, #168]
#          188  mov sp, r12
#          190  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          194  str.w lr, [r7, #128]
#          198  mov r0, r7
#          200  ldr.w r12, [r7, #160]
#          204  blx r12
#          206  ldr.w lr, [r7, #128]
#          210  pop.w {r3, pc}
#          214  push.w {r3, lr}
#          218  ldr.w lr, [r7, #128]
#          222  b #-100
