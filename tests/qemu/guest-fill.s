# SPDX-License-Identifier: GPL-2.0-or-later
# A boot sector that keeps the screen changing, for the QEMU display tests.
# It enters 32-bit flat protected mode, programs the Bochs VBE registers of
# QEMU's std VGA (00:02.0) for a 32 bpp linear mode and redraws forever:
#   mode 0: the whole screen in a new colour each pass (full-screen damage)
#   mode 1: a 64-row band moving down (partial damage, Update messages)
# The test patches the parameter block at 0x1e0 (width, height, mode, delay).
	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	inb $0x92, %al			# fast A20
	orb $2, %al
	andb $0xfe, %al
	outb %al, $0x92
	lgdtl gdt_desc
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmp $0x08, $pm32

	.code32
pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $0x7c00, %esp

	movl $0x80001010, %eax		# PCI 00:02.0 BAR0 = linear framebuffer
	movw $0xcf8, %dx
	outl %eax, %dx
	movw $0xcfc, %dx
	inl %dx, %eax
	andl $0xfffffff0, %eax
	movl %eax, lfb

	movw $4, %ax			# VBE_DISPI_INDEX_ENABLE = 0
	xorw %bx, %bx
	call dispi
	movw $1, %ax			# XRES
	movw param_w, %bx
	call dispi
	movw $2, %ax			# YRES
	movw param_h, %bx
	call dispi
	movw $3, %ax			# BPP
	movw $32, %bx
	call dispi
	movw $4, %ax			# ENABLE | LFB
	movw $0x41, %bx
	call dispi

	xorl %esi, %esi			# pass counter
pass:
	cld
	cmpb $1, param_mode
	je band
	movzwl param_w, %eax
	movzwl param_h, %ecx
	imull %eax, %ecx
	movl lfb, %edi
	movl %esi, %eax
	imull $0x00070305, %eax
	orl $0x00202020, %eax
	rep stosl
	jmp next
band:
	movl %esi, %eax
	shll $3, %eax
	movzwl param_h, %ebx
	subl $64, %ebx
	xorl %edx, %edx
	divl %ebx			# edx = first row of the band
	movzwl param_w, %eax
	imull %eax, %edx
	movl lfb, %edi
	leal (%edi,%edx,4), %edi
	movzwl param_w, %ecx
	shll $6, %ecx
	movl %esi, %eax
	imull $0x00030507, %eax
	orl $0x00202020, %eax
	rep stosl
next:
	incl %esi
	movl param_delay, %ecx
	testl %ecx, %ecx
	jz pass
1:	loop 1b
	jmp pass

dispi:					# Bochs VBE: index %ax, value %bx
	movw $0x1ce, %dx
	outw %ax, %dx
	movw $0x1cf, %dx
	movw %bx, %ax
	outw %ax, %dx
	ret

	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	# 0x08: flat 32-bit code
	.quad 0x00cf92000000ffff	# 0x10: flat data
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
lfb:
	.long 0

	.org 0x1e0
param_w:
	.word 1024
param_h:
	.word 768
param_mode:
	.byte 0
	.byte 0
param_delay:
	.long 0
	.org 510
	.word 0xaa55
