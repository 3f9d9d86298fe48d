# A pointer spilled to the frame and read back keeps what was known of it (here the
# input pointer: a 32-bit address, checked against the input's window only); a pointer
# read from the input is anything: its high half is checked too. A frame access the
# analysis proves is a bare load or store.
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
ldxw %r0, [%r2+16]
ldxdw %r3, [%r1+0]
stxw [%r3+20], %r0
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r5, [r7, #8]
#           12  ldr r4, [r7, #80]
#     0: stxdw [%r10-8], %r1
#           14  str r5, [r4, #-8]
#           18  movs r3, #0
#           20  str r3, [r4, #-4]
#     1: ldxdw %r2, [%r10-8]
#           24  ldr r6, [r4, #-8]
#     2: ldxw %r0, [%r2+16]
#           28  adds.w r0, r6, #16
#           32  bhs.w #104
#           36  ldrd r12, r3, [r7, #188]
#           40  sub.w r12, r0, r12
#           44  cmp r12, r3
#           46  bhs.w #90
#           50  ldr.w r9, [r0]
#     3: ldxdw %r3, [%r1+0]
#           54  ldrd r12, r3, [r7, #196]
#           58  sub.w r12, r5, r12
#           62  cmp r12, r3
#           64  bhs.w #98
#           68  ldr r6, [r5, #4]
#           70  ldr.w r8, [r5]
#     4: stxw [%r3+20], %r0
#           74  adds.w r0, r8, #20
#           78  adcs r12, r6, #0
#           82  bne.w #98
#           86  ldrd r12, r3, [r7, #476]
#           90  sub.w r12, r0, r12
#           94  cmp r12, r3
#           96  bhs.w #84
#          100  str.w r9, [r0]
#     5: exit
#          104  mov.w r12, #0
#          108  strd r9, r12, [r7]
#          112  b.w #16
#          116  mov.w r0, #1
#          120  b.w #12
#          124  mov.w r0, #2
#          128  b.w #4
#          132  mov.w r0, #0
#          136  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          140  mov r1, r6
#          142  movs r2, #0
#          144  adds.w r1, r1, #16
#          148  adc r2, r2, #0
#          152  mov.w r3, #516
#          156  str.w lr, [r7, #128]
#          160  bl #46
#          164  b #-118
#          166  mov r1, r5
#          168  movs r2, #0
#          170  mov.w r3, #776
#          174  str.w lr, [r7, #128]
#          178  bl #28
#          182  b #-118
#          184  mov r1, r8
#          186  mov r2, r6
#          188  adds.w r1, r1, #20
#          192  adc r2, r2, #0
#          196  movw r3, #1044
#          200  str.w lr, [r7, #128]
#          204  bl #2
#          208  b #-112
#          210  push.w {r3, lr}
#          214  mov r0, r7
#          216  ldr.w r12, [r7, #144]
#          220  blx r12
#          222  pop.w {r3, r12}
#          226  ldr.w lr, [r7, #128]
#          230  cmp r0, #0
#          232  beq #-120
#          234  bx r12
