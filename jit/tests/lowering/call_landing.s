# Homes per web across a bpf-to-bpf call: r6 is kept in a register up to the call
# (which stores it for the runtime's frame) and is written again before it is read
# after it, so the landing reloads nothing into its register, which another value may
# hold by then; r7, live after the call, is reloaded. The callee's values have homes
# of their own.
mov %r6, 7
mov %r7, 9
mov %r1, 3
add %r6, %r1
call local f
mov %r6, 1
add %r0, %r6
add %r0, %r7
exit
f:
mov %r6, 100
mov %r0, 41
add %r0, %r6
add %r0, %r1
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  mov r12, sp
#            8  str.w r12, [r7, #168]
#           12  ldr.w lr, [r7, #128]
#     0: mov %r6, 7
#           16  movs r4, #7
#     1: mov %r7, 9
#           18  mov.w r9, #9
#     2: mov %r1, 3
#           22  mov.w r8, #3
#           26  movs r1, #0
#           28  str r1, [r7, #12]
#     3: add %r6, %r1
#           30  add r4, r8
#     4: call local +4
#           32  subs.w lr, lr, #1
#           36  beq.w #152
#           40  mov.w r12, #0
#           44  strd r4, r12, [r7, #48]
#           48  strd r9, r12, [r7, #56]
#           52  str.w r12, [r7, #68]
#           56  str.w r12, [r7, #76]
#           60  str.w r12, [r7, #84]
#           64  str.w lr, [r7, #128]
#           68  movs r1, #4
#           70  mov r0, r7
#           72  ldr.w r12, [r7, #156]
#           76  blx r12
#           78  ldr.w lr, [r7, #128]
#           82  cmp r0, #0
#           84  bne.w #116
#           88  str.w lr, [r7, #128]
#           92  bl #138
#           96  ldr.w lr, [r7, #128]
#          100  ldr.w r9, [r7, #56]
#     5: mov %r6, 1
#          104  movs r4, #1
#     6: add %r0, %r6
#          106  adds.w r6, r6, r4
#          110  adc r5, r5, #0
#     7: add %r0, %r7
#          114  adds.w r6, r6, r9
#          118  adc r5, r5, #0
#     8: exit
#          122  ldr.w r12, [r7, #132]
#          126  cmp.w r12, #0
#          130  bne.w #80
#          134  strd r6, r5, [r7]
#          138  b.w #58
#     9: mov %r6, 100
#          142  movs r4, #100
#    10: mov %r0, 41
#          144  movs r6, #41
#    11: add %r0, %r6
#          146  add r6, r4
#    12: add %r0, %r1
#          148  adds.w r6, r6, r8
#          152  mov.w r12, #0
#          156  adc r5, r12, #0
#    13: exit
#          160  ldr.w r12, [r7, #132]
#          164  cmp.w r12, #0
#          168  bne.w #42
#          172  mov.w r12, #0
#          176  strd r6, r12, [r7]
#          180  b.w #16
#          184  mov.w r0, #1
#          188  b.w #12
#          192  mov.w r0, #2
#          196  b.w #4
#          200  mov.w r0, #0
#          204  ldr.w r12, [r7, #168]
#          208  mov sp, r12
#          210  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          214  str.w lr, [r7, #128]
#          218  mov r0, r7
#          220  ldr.w r12, [r7, #160]
#          224  blx r12
#          226  ldr.w lr, [r7, #128]
#          230  pop.w {r3, pc}
#          234  push.w {r3, lr}
#          238  ldr.w lr, [r7, #128]
#          242  b #-104
